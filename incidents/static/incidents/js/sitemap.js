/*
 * The site map page (templates/incidents/site_map.html): the site's perimeter and rings,
 * its incidents from the GeoJSON endpoint, point clusters and a heat-map toggle, and two
 * imported layers that can be switched off: external reports near the site (FAA sightings
 * etc.) and the reference zones (EU UAS geographical zones), drawn under the site's rings.
 * Reads #site-map-data: {site, dataUrl (the incidents, in the compact ?format=rows form), externalUrl, zonesUrl, periodDays, nearLng,
 * clusterAbove, labels}; the map of all sites gives {sites: [...]} instead of site, and no
 * external or zones URL.
 *
 * Each time the incidents layer has drawn (first load, toggles, every pan or zoom) and the
 * browser has painted it, the map element's data-rendered attribute counts up and a
 * performance mark "skymap-rendered-<n>" is made: bench/map_render.py times the page by them.
 */
(function (window, document) {
  "use strict";

  var SkyMap = window.SkyMap;
  var data = SkyMap.readJSON("site-map-data");
  var element = document.getElementById("site-map");
  if (!data || !element) {
    return;
  }
  var labels = data.labels;
  var status = document.getElementById("map-status");
  var clusterBox = document.getElementById("toggle-cluster");
  var heatBox = document.getElementById("toggle-heat");
  var externalBox = document.getElementById("toggle-external");
  var zonesBox = document.getElementById("toggle-zones");
  var EXTERNAL_COLOUR = "#6a3d9a";
  var ZONE_COLOUR = "#5b6470";

  var map = SkyMap.createMap(element);
  // Reference zones sit in a pane below the overlay pane, so the site's rings stay on top.
  map.createPane("skymap-zones").style.zIndex = 350;
  var sites = data.sites || [data.site];
  var siteBounds = null;
  sites.forEach(function (site) {
    var layer = SkyMap.addSite(map, site, { fit: false });
    if (layer.getLayers().length) {
      siteBounds = siteBounds ? siteBounds.extend(layer.getBounds()) : layer.getBounds();
    }
  });
  if (siteBounds) {
    map.fitBounds(siteBounds, { padding: [12, 12], maxZoom: 18 });
  } else {
    map.setView([0, 0], 2);
  }
  var legendItems = sites.length ? SkyMap.siteLegendItems(sites[0]) : [];
  legendItems = legendItems.concat(SkyMap.severityLegendItems());
  if (data.externalUrl) {
    legendItems.push({ label: labels.external, colour: EXTERNAL_COLOUR, kind: "diamond" });
  }
  if (data.zonesUrl) {
    legendItems.push({ label: labels.zones, colour: ZONE_COLOUR, kind: "line" });
  }
  SkyMap.legend(map, legendItems);

  var renders = 0;
  function rendered() {
    // After the next frame, so the mark means "drawn and painted".
    window.requestAnimationFrame(function () {
      window.setTimeout(function () {
        renders += 1;
        window.performance.mark("skymap-rendered-" + renders);
        element.dataset.rendered = String(renders);
      }, 0);
    });
  }

  var incidents = null;
  var shown = null;

  function say(text) {
    status.textContent = text;
  }

  function draw() {
    if (shown) {
      map.removeLayer(shown);
      shown = null;
    }
    if (!incidents || !incidents.features.length) {
      return;
    }
    if (heatBox.checked) {
      shown = SkyMap.heatLayer(incidents, { nearLng: data.nearLng });
      shown.addTo(map);
      rendered();
    } else {
      shown = SkyMap.incidentMarkers(incidents, {
        periodDays: data.periodDays,
        nearLng: data.nearLng,
        cluster: clusterBox.checked,
      });
      shown.on("drawn", rendered);
      shown.addTo(map);
    }
  }

  clusterBox.addEventListener("change", draw);
  heatBox.addEventListener("change", function () {
    // Clusters mean nothing on a heat map.
    clusterBox.disabled = heatBox.checked;
    draw();
  });

  function getGeoJSON(url) {
    // No extra headers: the page preloads the incidents, and a request that differs from the
    // preload would download them a second time.
    return window
      .fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          // Our endpoints explain a refusal as JSON {message} or as plain text.
          return response.text().then(function (text) {
            var message = text;
            try {
              message = JSON.parse(text).message || text;
            } catch (ignored) {
              // plain text already
            }
            throw new Error(message || response.statusText);
          });
        }
        return response.json();
      });
  }

  function externalPopup(props) {
    // Built from text nodes: a summary is third-party text, shown verbatim, never as HTML.
    var box = document.createElement("div");
    var when = document.createElement("strong");
    when.textContent = labels.reported.replace(
      "%(date)s",
      [props.date, props.time_text].filter(Boolean).join(" "),
    );
    box.appendChild(when);
    var place = [props.city, props.state].filter(Boolean).join(", ");
    if (place) {
      var where = document.createElement("div");
      where.textContent = labels.place.replace("%(place)s", place);
      box.appendChild(where);
    }
    var summary = document.createElement("p");
    summary.className = "skymap-popup-summary";
    summary.textContent = props.summary;
    box.appendChild(summary);
    return box;
  }

  function externalLayer(geojson) {
    return L.featureGroup(
      geojson.features.map(function (feature) {
        var props = feature.properties;
        var xy = feature.geometry.coordinates;
        var lng = xy[0] + 360 * Math.round((data.nearLng - xy[0]) / 360);
        var marker = L.marker([xy[1], lng], {
          icon: L.divIcon({ className: "skymap-external", iconSize: [12, 12], html: "<span></span>" }),
          title: [props.date, props.city].filter(Boolean).join(" · "),
          keyboard: true,
        });
        marker.bindPopup(function () {
          return externalPopup(props);
        });
        marker.on("add", function () {
          var el = marker.getElement();
          if (el) {
            el.dataset.externalReport = String(feature.id);
          }
        });
        return marker;
      }),
    );
  }

  function zonesLayer(geojson) {
    return L.geoJSON(geojson, {
      pane: "skymap-zones",
      style: {
        className: "skymap-zone",
        color: ZONE_COLOUR,
        weight: 1.5,
        fill: false,
      },
      onEachFeature: function (feature, layer) {
        var props = feature.properties || {};
        var name = props.name || props.identifier || "";
        if (name) {
          layer.bindTooltip(name, { sticky: true });
        }
      },
    });
  }

  function toggled(box, url, build) {
    var layer = null;
    function sync() {
      if (!layer) {
        return;
      }
      if (box.checked) {
        layer.addTo(map);
      } else {
        map.removeLayer(layer);
      }
    }
    box.addEventListener("change", sync);
    getGeoJSON(url)
      .then(function (geojson) {
        layer = build(geojson);
        sync();
      })
      .catch(function (error) {
        say(labels.layerFailed.replace("%(reason)s", error.message));
      });
  }

  if (data.zonesUrl && zonesBox) {
    toggled(zonesBox, data.zonesUrl, zonesLayer);
  }
  if (data.externalUrl && externalBox) {
    toggled(externalBox, data.externalUrl, externalLayer);
  }

  function fromRows(table) {
    // The endpoint's compact form (?format=rows) back into GeoJSON features.
    var names = table.fields;
    return {
      type: "FeatureCollection",
      features: table.rows.map(function (row) {
        var properties = {};
        for (var i = 3; i < names.length; i++) {
          properties[names[i]] = row[i];
        }
        return {
          type: "Feature",
          id: row[0],
          geometry: { type: "Point", coordinates: [row[1], row[2]] },
          properties: properties,
        };
      }),
    };
  }

  say(labels.loading);
  getGeoJSON(data.dataUrl)
    .then(function (body) {
      var geojson = body.rows ? fromRows(body) : body;
      incidents = geojson;
      var count = geojson.features.length;
      clusterBox.checked = count > data.clusterAbove;
      say(count ? labels.count.replace("%(count)s", count) : labels.none);
      draw();
    })
    .catch(function (error) {
      say(labels.failed.replace("%(reason)s", error.message));
    });
})(window, document);
