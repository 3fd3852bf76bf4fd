// Draws the incidents of a pattern or repeat-offender page on its django-leaflet map.
// The features come from a json_script element, so the page needs no inline script.
(function () {
  "use strict";
  window.addEventListener("map:init", function (event) {
    var map = event.detail.map;
    var source = document.getElementById("map-features");
    if (!source) {
      return;
    }
    var layer = L.geoJSON(JSON.parse(source.textContent), {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7, className: "sev-" + feature.properties.severity });
      },
      onEachFeature: function (feature, marker) {
        var p = feature.properties;
        var label = document.createElement("span");
        label.textContent = p.reference + " · " + p.site + " · " + p.first_seen;
        marker.bindPopup(label);
      },
    }).addTo(map);
    if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 12 });
    }
  });
})();
