// The dashboard's behaviour (no inline scripts: the CSP allows only files
// from this site). Summary bar refreshed from /sidekiq/stats at the chosen
// interval; "Live Poll" also reloads the page's content; realtime and
// history charts with uPlot; select-all and confirmations for bulk forms.
(function () {
  "use strict";
  var root = document.getElementById("sidekiq");
  if (!root) return;
  var KEY = "sidekiqTimeInterval";
  var select = document.getElementById("poll-interval");
  var liveButton = document.getElementById("live-poll");
  var interval = parseInt(localStorage.getItem(KEY) || "5000", 10);
  if (!(interval >= 1000)) interval = 5000;
  if (select) {
    select.value = String(interval);
    if (select.value !== String(interval)) { select.value = "5000"; interval = 5000; }
    select.addEventListener("change", function () {
      interval = parseInt(select.value, 10);
      localStorage.setItem(KEY, String(interval));
      restart();
    });
  }
  var live = localStorage.getItem("sidekiqLivePoll") === "on";
  function showLive() {
    if (!liveButton) return;
    liveButton.setAttribute("aria-pressed", live ? "true" : "false");
    liveButton.textContent = live ? "Stop Polling" : "Live Poll";
    liveButton.classList.toggle("active", live);
  }
  if (liveButton) {
    showLive();
    liveButton.addEventListener("click", function () {
      live = !live;
      localStorage.setItem("sidekiqLivePoll", live ? "on" : "off");
      showLive();
    });
  }

  function fmt(n) { return Number(n).toLocaleString("en-US"); }

  var realtime = null;
  var last = null;
  var points = { t: [], processed: [], failed: [] };

  function tick() {
    fetch("/sidekiq/stats", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) {
        var k = s.sidekiq;
        Object.keys(k).forEach(function (name) {
          var el = root.querySelector('[data-stat="' + name + '"]');
          if (el) el.textContent = fmt(k[name]);
        });
        var clock = document.getElementById("server-utc-time");
        if (clock) clock.textContent = s.server_utc_time;
        if (realtime && last) {
          points.t.push(Date.now() / 1000);
          points.processed.push(Math.max(0, k.processed - last.processed));
          points.failed.push(Math.max(0, k.failed - last.failed));
          if (points.t.length > 50) { points.t.shift(); points.processed.shift(); points.failed.shift(); }
          realtime.setData([points.t, points.processed, points.failed]);
        }
        last = k;
      })
      .catch(function () {});
    if (live && liveButton) reloadPage();
  }

  function reloadPage() {
    fetch(location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("page");
        var page = document.getElementById("page");
        if (fresh && page) { page.replaceWith(fresh); wire(fresh); }
      })
      .catch(function () {});
  }

  var timer = null;
  function restart() {
    if (timer) clearInterval(timer);
    timer = setInterval(tick, interval);
  }

  function size(el) { return { width: Math.max(300, el.clientWidth - 10), height: 220 }; }

  // The realtime chart spans seconds: ticks on whole seconds, labelled HH:MM:SS.
  function clock(v) {
    var d = new Date(v * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map(function (n) { return (n < 10 ? "0" : "") + n; }).join(":");
  }
  var SECONDS_AXIS = {
    incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
    values: function (u, splits) { return splits.map(clock); }
  };

  function chart(el, series, data, xAxis) {
    if (!window.uPlot || !el) return null;
    var s = size(el);
    var opts = { width: s.width, height: s.height, series: series, scales: { x: { time: true } } };
    if (xAxis) opts.axes = [xAxis, {}];
    var u = new uPlot(opts, data, el);
    window.addEventListener("resize", function () { u.setSize(size(el)); });
    return u;
  }

  var COLORS = ["#1f6f43", "#b3261e", "#1565c0", "#8e24aa", "#ef6c00"];

  function drawCharts() {
    var rt = document.getElementById("realtime-chart");
    if (rt) {
      realtime = chart(rt, [{}, { label: "Processed", stroke: COLORS[0], width: 2 }, { label: "Failed", stroke: COLORS[1], width: 2 }], [[], [], []], SECONDS_AXIS);
    }
    var hist = document.getElementById("history-chart");
    if (hist) {
      var days = JSON.parse(hist.dataset.series || "[]");
      var t = days.map(function (d) { return Date.parse(d.date + "T00:00:00Z") / 1000; });
      chart(hist, [{}, { label: "Processed", stroke: COLORS[0], width: 2 }, { label: "Failed", stroke: COLORS[1], width: 2 }],
        [t, days.map(function (d) { return d.processed; }), days.map(function (d) { return d.failed; })]);
    }
    ["metrics-chart", "class-chart"].forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      var d = JSON.parse(el.dataset.series || "{}");
      var series = [{}];
      var data = [d.x || []];
      (d.series || []).forEach(function (s, i) {
        series.push({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2 });
        data.push(s.values);
      });
      chart(el, series, data);
    });
  }

  // Select-all and confirmations; run again on content swapped in by Live Poll.
  function wire(scope) {
    var all = scope.querySelector("#select-all");
    if (all) {
      all.addEventListener("change", function () {
        scope.querySelectorAll('input[name="key[]"]').forEach(function (c) { c.checked = all.checked; });
      });
    }
    scope.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.dataset.confirm)) e.preventDefault();
      });
    });
  }

  wire(document);
  drawCharts();
  tick();
  restart();
})();
