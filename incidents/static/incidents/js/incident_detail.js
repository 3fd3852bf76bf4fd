/* The incident page: its map (site, drone, observer, sight line, operators, take-offs,
   tracks), and clearing the device's draft once the server has stored the sighting. */
(function () {
  "use strict";
  function readJSON(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }

  var summary = document.getElementById("summary");
  var token = summary && summary.dataset.submissionToken;
  if (token) {
    try {
      var key = "skyledger-draft-new";
      var draft = JSON.parse(localStorage.getItem(key) || "null");
      if (draft && draft.data && draft.data.submission_token === token) localStorage.removeItem(key);
    } catch (e) { /* storage unavailable: nothing to clear */ }
  }

  var STYLE = {
    drone: { radius: 9, color: "#7a0d0d", fillColor: "#d7263d", fillOpacity: 1, weight: 2 },
    observer: { radius: 7, color: "#0b3d6e", fillColor: "#2e86de", fillOpacity: 1, weight: 2 },
    operator: { radius: 7, color: "#4a2a00", fillColor: "#f39c12", fillOpacity: 1, weight: 2 },
    takeoff: { radius: 6, color: "#1e4620", fillColor: "#27ae60", fillOpacity: 1, weight: 2 },
    track: { color: "#6c3483", weight: 3 },
    sightline: { color: "#1d2430", weight: 2, dashArray: "6 6" }
  };

  window.skyledgerDetailMap = function (map) {
    if (window.SkyMap && window.SkyMap.addBase) window.SkyMap.addBase(map);
    var layers = readJSON("site-layers") || {};
    var code = readJSON("site-code");
    var site = null;
    if (window.SkyMap && layers[code]) site = window.SkyMap.addSite(map, layers[code], { fit: false });
    var features = readJSON("incident-features");
    var layer = L.geoJSON(features, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, STYLE[feature.properties.kind] || {});
      },
      style: function (feature) { return STYLE[feature.properties.kind] || {}; },
      onEachFeature: function (feature, item) {
        item.bindTooltip(feature.properties.label);
        item.options.className = "feature-" + feature.properties.kind;
      }
    }).addTo(map);
    // Show the incident with the perimeter for context (the innermost shape of the site).
    var bounds = layer.getBounds();
    if (site) {
      site.eachLayer(function (item) {
        if (item.feature && item.feature.properties.kind === "perimeter") bounds.extend(item.getBounds());
      });
    }
    map.fitBounds(bounds.pad(0.2), { maxZoom: 16 });
  };
})();
