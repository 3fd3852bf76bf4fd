/* The sighting form: map markers kept in step with the typed coordinates, "use my
   location", extra action rows, and a draft kept on this device until the server has it. */
(function () {
  "use strict";
  var form = document.getElementById("sighting-form") || document.getElementById("edit-form");
  if (!form) return;

  function $(id) { return document.getElementById(id); }
  function readJSON(id) { var el = $(id); return el ? JSON.parse(el.textContent) : null; }

  var siteOptions = readJSON("site-options") || [];
  var siteLayers = readJSON("site-layers") || {};
  var siteSelect = form.querySelector("select[name=site_choice]");
  var siteInput = form.querySelector("[name=site_choice]");
  var map = null, siteLayer = null;
  var markers = { drone: null, observer: null };

  function field(prefix, axis) { return form.querySelector("[name=" + prefix + "_" + axis + "]"); }
  function currentSite() {
    var code = siteInput ? siteInput.value : null;
    for (var i = 0; i < siteOptions.length; i++) if (siteOptions[i].code === code) return siteOptions[i];
    return siteOptions[0];
  }
  function readPoint(prefix) {
    var lat = parseFloat(field(prefix, "lat").value), lon = parseFloat(field(prefix, "lon").value);
    if (isNaN(lat) || isNaN(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return L.latLng(lat, lon);
  }
  function writePoint(prefix, latlng) {
    field(prefix, "lat").value = latlng.lat.toFixed(6);
    field(prefix, "lon").value = L.Util.wrapNum(latlng.lng, [-180, 180], true).toFixed(6);
    field(prefix, "lat").dispatchEvent(new Event("input", { bubbles: true }));
  }
  function icon(prefix) {
    var text = prefix === "drone" ? form.dataset.droneLabel || "Drone" : form.dataset.observerLabel || "Observer";
    return L.divIcon({ className: "pin pin-" + prefix, html: "<span>" + text + "</span>", iconSize: null, iconAnchor: [0, 0] });
  }
  function placeMarker(prefix, latlng) {
    if (!map) return;
    if (!latlng) {
      if (markers[prefix]) { map.removeLayer(markers[prefix]); markers[prefix] = null; }
      drawLine();
      return;
    }
    if (!markers[prefix]) {
      markers[prefix] = L.marker(latlng, {
        draggable: true, icon: icon(prefix), keyboard: true, title: prefix,
        zIndexOffset: prefix === "drone" ? 1000 : 0  // the drone stays on top when both are close
      })
        .addTo(map)
        .on("dragend", function (e) { writePoint(prefix, e.target.getLatLng()); drawLine(); });
      markers[prefix].getElement().classList.add("marker-" + prefix);
    } else {
      markers[prefix].setLatLng(latlng);
    }
    drawLine();
  }
  var sightline = null;
  function drawLine() {
    if (sightline) { map.removeLayer(sightline); sightline = null; }
    if (markers.drone && markers.observer) {
      sightline = L.polyline([markers.observer.getLatLng(), markers.drone.getLatLng()],
        { className: "sightline", dashArray: "6 6", color: "#1d2430", weight: 2, interactive: false }).addTo(map);
    }
  }
  function showSite() {
    if (!map) return;
    var site = currentSite();
    if (siteLayer) { map.removeLayer(siteLayer); siteLayer = null; }
    var tz = $("site-timezone");
    if (tz && site) tz.textContent = site.timezone;
    var layers = site && siteLayers[site.code];
    if (layers && window.SkyMap) {
      siteLayer = window.SkyMap.addSite(map, layers);
    }
    var drone = readPoint("drone");
    if (drone) {
      map.setView(drone, Math.max(map.getZoom(), 14));
    } else if (siteLayer && siteLayer.getBounds) {
      map.fitBounds(siteLayer.getBounds());
    } else if (site) {
      map.setView(site.centre, 13);
    }
  }

  window.skyledgerFormMap = function (leafletMap) {
    map = leafletMap;
    if (window.SkyMap && window.SkyMap.addBase) window.SkyMap.addBase(map);
    showSite();
    placeMarker("drone", readPoint("drone"));
    placeMarker("observer", readPoint("observer"));
    map.on("click", function (e) {
      var choice = form.querySelector("[name=place_mode]:checked");
      var prefix = choice ? choice.value : "drone";
      writePoint(prefix, e.latlng);
      placeMarker(prefix, e.latlng);
    });
    form.dataset.mapReady = "1";
  };

  ["drone", "observer"].forEach(function (prefix) {
    ["lat", "lon"].forEach(function (axis) {
      var input = field(prefix, axis);
      if (input) input.addEventListener("change", function () { placeMarker(prefix, readPoint(prefix)); });
    });
  });
  if (siteSelect) siteSelect.addEventListener("change", showSite);

  var locate = $("use-my-location");
  if (locate) {
    locate.addEventListener("click", function () {
      var status = $("geo-status");
      if (!navigator.geolocation) { status.textContent = locate.dataset.unsupported; return; }
      status.textContent = locate.dataset.finding;
      navigator.geolocation.getCurrentPosition(function (position) {
        var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        writePoint("observer", latlng);
        placeMarker("observer", latlng);
        status.textContent = locate.dataset.found.replace("{metres}", Math.round(position.coords.accuracy));
      }, function (error) {
        status.textContent = locate.dataset.failed + " (" + error.message + ")";
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  /* Extra action rows from the formset's empty form. */
  var addAction = $("add-action");
  if (addAction) {
    addAction.addEventListener("click", function () { addActionRow(); });
  }
  function addActionRow() {
    var total = form.querySelector("[name=actions-TOTAL_FORMS]");
    var index = parseInt(total.value, 10);
    var html = $("action-template").innerHTML.replace(/__prefix__/g, index);
    $("action-rows").insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    var first = $("action-rows").lastElementChild.querySelector("select, input");
    if (first) first.focus();
  }

  /* The draft: every typed value, saved on this device as it is typed, so a dropped
     connection or a closed tab loses nothing. The detail page clears it once saved. */
  var key = form.dataset.draftKey;
  var SKIP = { csrfmiddlewaretoken: 1, evidence: 1, place_mode: 1 };
  function snapshot() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "button" || el.type === "submit") return;
      if (el.type === "checkbox" || el.type === "radio") {
        data[el.name] = data[el.name] || [];
        if (el.checked) data[el.name].push(el.value);
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }
  function restore(data) {
    var total = form.querySelector("[name=actions-TOTAL_FORMS]");
    if (total && data["actions-TOTAL_FORMS"]) {
      while (parseInt(total.value, 10) < parseInt(data["actions-TOTAL_FORMS"], 10)) addActionRow();
    }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in data) || SKIP[el.name] || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = data[el.name].indexOf(el.value) !== -1;
      else el.value = data[el.name];
    });
  }
  function save() {
    try { localStorage.setItem(key, JSON.stringify({ saved: Date.now(), data: snapshot() })); } catch (e) { /* storage full or disabled: the form still works */ }
  }
  if (key) {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    // A page the server sent back with errors already holds what was typed; only a fresh
    // form takes the draft.
    if (stored && stored.data && form.dataset.bound === "0") {
      restore(stored.data);
      $("draft-notice").hidden = false;
    }
    var timer = null;
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 300); });
    form.addEventListener("change", save);
    form.addEventListener("submit", save);
    var discard = $("draft-discard");
    if (discard) discard.addEventListener("click", function () {
      localStorage.removeItem(key);
      window.location.reload();
    });
  }

  var summary = $("error-summary");
  if (summary) summary.focus();
})();
