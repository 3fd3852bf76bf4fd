/*
 * SkyMap: the map helpers every SkyLedger page shares (window.SkyMap).
 *
 * Load it with the template tags in incidents/templatetags/skymap.py:
 *   {% load skymap %}  {% skymap_css "cluster" %} in <head>,
 *   {% skymap_js "cluster" "heat" %} before the page's own script.
 * They bring Leaflet (django-leaflet), the vendored plugins named, topojson-client, this file
 * and a json_script element #skymap-config {tiles, atlasUrl, labels} built from settings.
 * No inline code anywhere, so a Content-Security-Policy without 'unsafe-inline' holds.
 *
 * API (every function takes an L.Map made by the page, by L.map() or by django-leaflet):
 *   SkyMap.createMap(element, options)   L.map with keyboard use, then addBase(); returns it.
 *   SkyMap.addBase(map, {tiles})         Offline base layer (Natural Earth land, coastlines,
 *                                        borders from the vendored world-atlas TopoJSON, our
 *                                        own static URL) in a pane under the tiles. tiles:
 *                                        "auto" (default: add the configured tile layer unless
 *                                        the map has one, as django-leaflet maps do), true,
 *                                        false. Returns a Promise of the base L.LayerGroup;
 *                                        nothing waits on it or on tiles, so a failed tile
 *                                        server or atlas never blocks the page.
 *   SkyMap.addTiles(map)                 The tile layer(s) from MAP_TILES_URL, or null when it
 *                                        is empty (offline only).
 *   SkyMap.addSite(map, geojson, {fit})  Perimeter and alert rings from mapdata.site_layers();
 *                                        fits the view to them unless fit is false. Returns
 *                                        the L.GeoJSON layer.
 *   SkyMap.incidentMarkers(geojson, opts) Markers for mapdata.incident_features_geojson():
 *                                        colour by severity, faded by age, keyboard-focusable
 *                                        (Tab), click or Enter opens properties.url. opts: now (ms),
 *                                        periodDays (age at which fading is full), nearLng
 *                                        (put points on this side of 180°), cluster (bool).
 *                                        With the "cluster" plugin (supercluster) the points
 *                                        are indexed once and only those in view are drawn,
 *                                        grouped when cluster is on; a 100,000-point layer
 *                                        stays interactive. Returns a layer that fires
 *                                        "drawn" after each (re)draw, and has getBounds().
 *   SkyMap.heatLayer(geojson, opts)      A leaflet.heat layer weighted by severity (needs the
 *                                        "heat" plugin); opts go to L.heatLayer.
 *   SkyMap.legend(map, items, {title, position})  A legend control (a <details>, folded
 *                                        on narrow screens). items: [{label, colour,
 *                                        kind: "point" | "area" | "line"}]. Returns it.
 *   SkyMap.siteLegendItems(geojson)      Legend items for a site's perimeter and rings.
 *   SkyMap.severityLegendItems()         Legend items for the four severities.
 *   SkyMap.severityColour(severity)      The CSS colour of a severity: the --sev-<level>
 *                                        custom properties in skyledger.css, shared with the
 *                                        tables and badges.
 *   SkyMap.readJSON(id)                  Parsed content of a json_script element, or null.
 *   SkyMap.SEVERITIES, SkyMap.config     The severity levels, lowest first; the page config.
 */
(function (window, document) {
  "use strict";

  var L = window.L;
  var SEVERITIES = ["low", "medium", "high", "critical"];
  // Used only if the stylesheet is missing; the CSS custom properties are the source.
  var FALLBACK_COLOURS = {
    low: "#2b7a3d",
    medium: "#9a6a00",
    high: "#c0392b",
    critical: "#8e1b1b",
  };
  var RING_COLOURS = ["#b3261e", "#c26a00", "#6d5e00", "#3f6f8f", "#5a4f8f", "#4f5b66"];
  var BASE_PANE = "skymapBase";
  var DAY_MS = 86400000;

  function readJSON(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var config = readJSON("skymap-config") || { tiles: [], atlasUrl: null, labels: {} };
  var labels = config.labels || {};

  function cssVar(name, fallback) {
    var value = window.getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  function severityColour(severity) {
    return cssVar("--sev-" + severity, FALLBACK_COLOURS[severity] || "#5b6575");
  }

  // --- Base layers ------------------------------------------------------------------------

  var atlasPromise = null;

  function loadAtlas() {
    // One download per page, however many maps it has.
    if (!atlasPromise) {
      if (!config.atlasUrl || !window.topojson) {
        return Promise.reject(new Error("SkyMap: no atlas URL or topojson-client"));
      }
      atlasPromise = window
        .fetch(config.atlasUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("SkyMap: atlas answered HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (topology) {
          var topojson = window.topojson;
          return {
            land: topojson.feature(topology, topology.objects.land),
            borders: topojson.mesh(topology, topology.objects.countries, function (a, b) {
              return a !== b;
            }),
          };
        });
    }
    return atlasPromise;
  }

  function hasTileLayer(map) {
    var found = false;
    map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer) {
        found = true;
      }
    });
    return found;
  }

  function addTiles(map) {
    var tiles = config.tiles || [];
    if (!tiles.length) {
      return null;
    }
    var layers = tiles.map(function (tile) {
      var layer = L.tileLayer(tile.url, tile.options || {});
      layer.once("tileerror", function () {
        // Tiles are optional: the offline base shows through; say so, quietly.
        map.getContainer().classList.add("skymap-tiles-failed");
      });
      return layer;
    });
    layers[0].addTo(map);
    if (layers.length > 1) {
      var choices = {};
      tiles.forEach(function (tile, index) {
        choices[tile.name] = layers[index];
      });
      L.control.layers(choices).addTo(map);
    }
    return layers[0];
  }

  function addBase(map, options) {
    options = options || {};
    var tiles = options.tiles === undefined ? "auto" : options.tiles;
    if (!map.getPane(BASE_PANE)) {
      // Under the tile pane (z-index 200): tiles, when they load, cover the base layer.
      map.createPane(BASE_PANE).style.zIndex = 150;
    }
    map.getContainer().classList.add("skymap");
    if (tiles === true || (tiles === "auto" && !hasTileLayer(map))) {
      addTiles(map);
    }
    var group = L.layerGroup().addTo(map);
    var renderer = L.svg({ pane: BASE_PANE, padding: 0.5 });
    if (map.attributionControl && labels.baseAttribution) {
      map.attributionControl.addAttribution(labels.baseAttribution);
    }
    return loadAtlas()
      .then(function (atlas) {
        var copies = {};
        function addCopy(shift) {
          // World copies east or west of ±180° only when the view reaches there (a site
          // across the antimeridian is drawn past 180°), so the usual map draws one world.
          if (copies[shift]) {
            return;
          }
          copies[shift] = true;
          var common = {
            renderer: renderer,
            interactive: false,
            coordsToLatLng: function (xy) {
              return L.latLng(xy[1], xy[0] + shift);
            },
          };
          L.geoJSON(
            atlas.land,
            L.extend(
              {
                style: {
                  className: "skymap-land",
                  color: "#7d8a97",
                  weight: 1,
                  fillColor: "#f2f0e6",
                  fillOpacity: 1,
                },
              },
              common,
            ),
          ).addTo(group);
          L.geoJSON(
            atlas.borders,
            L.extend(
              {
                style: {
                  className: "skymap-border",
                  color: "#98a2ad",
                  weight: 1,
                  dashArray: "4 3",
                  fill: false,
                },
              },
              common,
            ),
          ).addTo(group);
        }
        function copiesForView() {
          var bounds = map.getBounds();
          addCopy(0);
          if (bounds.getEast() > 180) {
            addCopy(360);
          }
          if (bounds.getWest() < -180) {
            addCopy(-360);
          }
        }
        map.whenReady(copiesForView);
        map.on("moveend", copiesForView);
        return group;
      })
      .catch(function (error) {
        map.getContainer().classList.add("skymap-no-base");
        if (window.console) {
          window.console.warn("SkyMap: offline base layer unavailable.", error);
        }
        return group;
      });
  }

  function createMap(element, options) {
    var map = L.map(
      element,
      L.extend({ keyboard: true, worldCopyJump: false, minZoom: 1, maxZoom: 19 }, options),
    );
    addBase(map);
    return map;
  }

  // --- Site ------------------------------------------------------------------------------

  function ringColour(index) {
    return RING_COLOURS[Math.min(index, RING_COLOURS.length - 1)];
  }

  function ringLabel(radius) {
    return (labels.ring || "Alert ring %(radius)s m").replace("%(radius)s", radius);
  }

  function addSite(map, geojson, options) {
    options = L.extend({ fit: true }, options);
    var layer = L.geoJSON(geojson, {
      interactive: false,
      style: function (feature) {
        var props = feature.properties;
        if (props.kind === "perimeter") {
          return {
            className: "skymap-perimeter",
            color: "#0b5cad",
            weight: 3,
            fillColor: "#0b5cad",
            fillOpacity: 0.1,
          };
        }
        return {
          className: "skymap-ring skymap-ring-" + props.index,
          color: ringColour(props.index),
          weight: 2,
          dashArray: "8 5",
          fillColor: ringColour(props.index),
          fillOpacity: 0.04,
        };
      },
    }).addTo(map);
    if (options.fit && layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    }
    return layer;
  }

  function siteLegendItems(geojson) {
    return geojson.features.map(function (feature) {
      var props = feature.properties;
      if (props.kind === "perimeter") {
        return { label: labels.perimeter || "Site perimeter", colour: "#0b5cad", kind: "area" };
      }
      return { label: ringLabel(props.radius_m), colour: ringColour(props.index), kind: "line" };
    });
  }

  function severityLegendItems() {
    var names = labels.severity || {};
    return SEVERITIES.map(function (level) {
      return { label: names[level] || level, colour: severityColour(level), kind: "point" };
    });
  }

  // --- Incidents -------------------------------------------------------------------------

  function ageOpacity(firstSeen, options) {
    if (!options.periodDays || !firstSeen) {
      return 1;
    }
    var age = (options.now - Date.parse(firstSeen)) / (options.periodDays * DAY_MS);
    var fraction = Math.max(0, Math.min(1, age));
    return 1 - fraction * (1 - options.minOpacity);
  }

  function describe(props) {
    var names = labels.severity || {};
    var when = props.first_seen ? new Date(props.first_seen).toLocaleString() : "";
    return [props.reference, names[props.severity] || props.severity, when]
      .filter(Boolean)
      .join(" · ");
  }

  function wrapLng(lng, nearLng) {
    if (nearLng === null || nearLng === undefined) {
      return lng;
    }
    return lng + 360 * Math.round((nearLng - lng) / 360);
  }

  function incidentMarker(feature, options, lng) {
    var props = feature.properties;
    var xy = feature.geometry.coordinates;
    var text = describe(props);
    var marker = L.marker([xy[1], lng === undefined ? wrapLng(xy[0], options.nearLng) : lng], {
      icon: L.divIcon({
        className: "skymap-dot skymap-dot-" + props.severity,
        iconSize: props.severity === "critical" ? [18, 18] : [14, 14],
        html: "",
      }),
      title: text,
      keyboard: true,
      riseOnHover: true,
      opacity: ageOpacity(props.first_seen, options),
    });
    marker.feature = feature;
    marker.on("add", function () {
      var element = marker.getElement();
      if (element) {
        element.setAttribute("aria-label", text);
        element.dataset.reference = props.reference || "";
      }
    });
    if (props.url) {
      marker.on("click", function () {
        window.location.assign(props.url);
      });
      // Leaflet gives a focused marker Enter as a keypress, not a click.
      marker.on("keypress", function (event) {
        if (event.originalEvent.key === "Enter") {
          window.location.assign(props.url);
        }
      });
    }
    return marker;
  }

  // Deepest zoom at which supercluster still groups points; past it every point is its own.
  var CLUSTER_MAX_ZOOM = 17;

  function clusterIcon(count) {
    // The look of leaflet.markercluster's default icons (MarkerCluster.Default.css).
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    var html = document.createElement("div");
    var label = document.createElement("span");
    label.textContent = String(count);
    html.appendChild(label);
    return L.divIcon({
      html: html,
      className: "marker-cluster marker-cluster-" + size,
      iconSize: L.point(40, 40),
    });
  }

  /*
   * Incidents drawn from a supercluster index: on every moveend only what is in view is put
   * on the map, as clusters (cluster: true) or as single points, so 100,000 incidents cost
   * one index build and a few hundred markers. Fires "drawn" ({count}) after each redraw.
   */
  var IndexedIncidents = L.Layer.extend({
    initialize: function (geojson, options) {
      this._options = options;
      this._features = geojson.features;
      this._index = new window.Supercluster({ radius: 60, maxZoom: CLUSTER_MAX_ZOOM });
      this._index.load(geojson.features);
    },

    onAdd: function (map) {
      this._group = L.layerGroup().addTo(map);
      map.on("moveend", this._update, this);
      this._update();
    },

    onRemove: function (map) {
      map.off("moveend", this._update, this);
      map.removeLayer(this._group);
      this._group = null;
      this._shown = null;
    },

    getBounds: function () {
      var bounds = L.latLngBounds([]);
      var nearLng = this._options.nearLng;
      this._features.forEach(function (feature) {
        var xy = feature.geometry.coordinates;
        bounds.extend([xy[1], wrapLng(xy[0], nearLng)]);
      });
      return bounds;
    },

    _bbox: function () {
      var bounds = this._map.getBounds();
      var south = Math.max(-90, bounds.getSouth());
      var north = Math.min(90, bounds.getNorth());
      if (bounds.getEast() - bounds.getWest() >= 360) {
        return [-180, south, 180, north];
      }
      // supercluster takes a west edge east of the east edge as a box across 180°.
      return [L.Util.wrapNum(bounds.getWest(), [-180, 180], true), south,
        L.Util.wrapNum(bounds.getEast(), [-180, 180], true), north];
    },

    _update: function () {
      var map = this._map;
      var options = this._options;
      var index = this._index;
      var zoom = options.cluster ? Math.round(map.getZoom()) : CLUSTER_MAX_ZOOM + 1;
      var items = index.getClusters(this._bbox(), zoom);
      var centre = map.getCenter().lng;
      // Markers still in view after a pan are kept, not rebuilt: keyed by what they show
      // (a cluster id names one cluster at one zoom) and where (the copy of the world).
      var previous = this._shown || {};
      var shown = {};
      var group = this._group;
      items.forEach(function (item) {
        var xy = item.geometry.coordinates;
        var lng = wrapLng(xy[0], centre);
        var props = item.properties;
        var key = (props.cluster ? "c" + props.cluster_id : "p" + item.id) + "@" + lng;
        var marker = previous[key];
        if (marker) {
          delete previous[key];
        } else if (!props.cluster) {
          marker = incidentMarker(item, options, lng);
        } else {
          marker = clusterMarker(map, index, item, lng);
        }
        shown[key] = marker;
      });
      Object.keys(previous).forEach(function (key) {
        group.removeLayer(previous[key]);
      });
      Object.keys(shown).forEach(function (key) {
        if (!group.hasLayer(shown[key])) {
          group.addLayer(shown[key]);
        }
      });
      this._shown = shown;
      this.fire("drawn", { count: items.length });
    },
  });

  function clusterMarker(map, index, item, lng) {
    var xy = item.geometry.coordinates;
    var count = item.properties.point_count;
    var marker = L.marker([xy[1], lng], {
      icon: clusterIcon(count),
      keyboard: true,
      title: String(count),
    });
    function expand() {
      var target = Math.min(
        index.getClusterExpansionZoom(item.properties.cluster_id),
        map.getMaxZoom(),
      );
      map.setView([xy[1], lng], target);
    }
    marker.on("click", expand);
    // Leaflet gives a focused marker Enter as a keypress, not a click.
    marker.on("keypress", function (event) {
      if (event.originalEvent.key === "Enter") {
        expand();
      }
    });
    return marker;
  }

  function incidentMarkers(geojson, options) {
    options = L.extend(
      { now: Date.now(), periodDays: null, nearLng: null, cluster: false, minOpacity: 0.4 },
      options,
    );
    if (window.Supercluster) {
      return new IndexedIncidents(geojson, options);
    }
    var markers = geojson.features.map(function (feature) {
      return incidentMarker(feature, options);
    });
    var group;
    if (options.cluster && L.markerClusterGroup) {
      // The former way, kept as the benchmark's baseline (bench/map_render.py loads
      // leaflet.markercluster instead of supercluster): every marker built up front.
      group = L.markerClusterGroup({
        chunkedLoading: true,
        showCoverageOnHover: false,
        chunkProgress: function (done, total) {
          if (done === total) {
            group.fire("drawn", { count: total });
          }
        },
      });
      group.on("add", function () {
        group._map.on("moveend", function () {
          group.fire("drawn", {});
        });
      });
      group.addLayers(markers);
    } else {
      group = L.featureGroup(markers);
      group.on("add", function () {
        group.fire("drawn", { count: markers.length });
      });
    }
    return group;
  }

  var SEVERITY_WEIGHT = { low: 0.25, medium: 0.5, high: 0.75, critical: 1 };

  function heatLayer(geojson, options) {
    if (!L.heatLayer) {
      throw new Error("SkyMap.heatLayer needs the vendored leaflet.heat ({% skymap_js 'heat' %}).");
    }
    var nearLng = options && options.nearLng;
    var points = geojson.features.map(function (feature) {
      var xy = feature.geometry.coordinates;
      return [xy[1], wrapLng(xy[0], nearLng), SEVERITY_WEIGHT[feature.properties.severity] || 0.5];
    });
    return L.heatLayer(points, L.extend({ radius: 22, blur: 18, maxZoom: 15 }, options));
  }

  // --- Legend ----------------------------------------------------------------------------

  function legend(map, items, options) {
    options = L.extend({ title: labels.legend || "Legend", position: "bottomright" }, options);
    var control = L.control({ position: options.position });
    control.onAdd = function () {
      // A <details>, so on a phone the legend folds away from the points it would cover.
      var box = L.DomUtil.create("details", "skymap-legend");
      box.open = !window.matchMedia || window.matchMedia("(min-width: 40rem)").matches;
      var heading = L.DomUtil.create("summary", "skymap-legend-title", box);
      heading.textContent = options.title;
      var list = L.DomUtil.create("ul", "", box);
      items.forEach(function (item) {
        var row = L.DomUtil.create("li", "", list);
        var swatch = L.DomUtil.create("span", "skymap-swatch skymap-swatch-" + item.kind, row);
        swatch.setAttribute("aria-hidden", "true");
        if (item.kind === "line") {
          swatch.style.borderColor = item.colour;
        } else {
          swatch.style.backgroundColor = item.colour;
          swatch.style.borderColor = item.colour;
        }
        row.appendChild(document.createTextNode(item.label));
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  window.SkyMap = {
    SEVERITIES: SEVERITIES,
    config: config,
    readJSON: readJSON,
    severityColour: severityColour,
    createMap: createMap,
    addBase: addBase,
    addTiles: addTiles,
    addSite: addSite,
    incidentMarkers: incidentMarkers,
    heatLayer: heatLayer,
    legend: legend,
    siteLegendItems: siteLegendItems,
    severityLegendItems: severityLegendItems,
  };
})(window, document);
