/*
 * The dashboard (templates/incidents/home.html): charts drawn with the vendored Chart.js
 * from #dashboard-data, and a map of the visible sites with the period's incidents from
 * #dashboard-map-data {sites, dataUrl, periodDays}. Each chart has its numbers in a table
 * beside it, so nothing is only in a picture.
 */
(function (window, document) {
  "use strict";

  var SkyMap = window.SkyMap;
  var data = SkyMap.readJSON("dashboard-data");
  var mapData = SkyMap.readJSON("dashboard-map-data");
  var ACCENT = "#0b5cad";
  var CLUSTER_ABOVE = 150;

  function barChart(id, rows, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) {
      return null;
    }
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (row) {
          return row.label;
        }),
        datasets: [
          {
            label: data.labels.incidents,
            data: rows.map(function (row) {
              return row.count;
            }),
            backgroundColor: ACCENT,
          },
        ],
      },
      options: Object.assign(
        {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
        options || {},
      ),
    });
  }

  function siteChart() {
    var canvas = document.getElementById("chart-site");
    if (!canvas || !window.Chart) {
      return null;
    }
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.sites.map(function (site) {
          return site.code;
        }),
        datasets: SkyMap.SEVERITIES.map(function (level) {
          return {
            label: data.severityLabels[level],
            data: data.sites.map(function (site) {
              return site.counts[level];
            }),
            backgroundColor: SkyMap.severityColour(level),
          };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function drawCharts() {
    if (!data) {
      return;
    }
    siteChart();
    barChart("chart-zone", data.breakdowns.zone);
    barChart("chart-method", data.breakdowns.method, { indexAxis: "y" });
    barChart("chart-hour", data.breakdowns.hour);
    barChart("chart-weekday", data.breakdowns.weekday);
  }

  function drawMap() {
    var element = document.getElementById("dashboard-map");
    if (!mapData || !element) {
      return;
    }
    var status = document.getElementById("map-status");
    var map = SkyMap.createMap(element);
    var bounds = null;
    mapData.sites.forEach(function (site) {
      var layer = SkyMap.addSite(map, site, { fit: false });
      bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
    });
    if (bounds) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 14 });
    } else {
      map.setView([0, 0], 2);
    }
    var legendItems = mapData.sites.length ? SkyMap.siteLegendItems(mapData.sites[0]) : [];
    SkyMap.legend(map, legendItems.concat(SkyMap.severityLegendItems()));
    window
      .fetch(mapData.dataUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.statusText);
        }
        return response.json();
      })
      .then(function (geojson) {
        SkyMap.incidentMarkers(geojson, {
          periodDays: mapData.periodDays,
          cluster: geojson.features.length > CLUSTER_ABOVE,
        }).addTo(map);
      })
      .catch(function (error) {
        status.textContent = error.message;
      });
  }

  drawMap();
  drawCharts();
})(window, document);
