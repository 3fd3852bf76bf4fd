/*
 * The site map page (templates/incidents/site_map.html): the site's perimeter and rings,
 * its incidents from the GeoJSON endpoint, point clusters and a heat-map toggle.
 * Reads #site-map-data: {site, dataUrl, periodDays, nearLng, clusterAbove, labels}.
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

  var map = SkyMap.createMap(element);
  SkyMap.addSite(map, data.site);
  SkyMap.legend(map, SkyMap.siteLegendItems(data.site).concat(SkyMap.severityLegendItems()));

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
    } else {
      shown = SkyMap.incidentMarkers(incidents, {
        periodDays: data.periodDays,
        nearLng: data.nearLng,
        cluster: clusterBox.checked,
      });
    }
    shown.addTo(map);
  }

  clusterBox.addEventListener("change", draw);
  heatBox.addEventListener("change", function () {
    // Clusters mean nothing on a heat map.
    clusterBox.disabled = heatBox.checked;
    draw();
  });

  say(labels.loading);
  window
    .fetch(data.dataUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json" },
    })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.message || response.statusText);
        }
        return body;
      });
    })
    .then(function (geojson) {
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
