// /lessons/flow: draws the web node, the queues and the workers, and moves a
// dot per job (or a chip per group, above the rate) as the server-sent
// events of /lessons/flow/events arrive. No inline script: CSP script-src 'self'.
(function () {
  "use strict";
  var stage = document.getElementById("flow-stage");
  if (!stage) return;
  var MAX_DOTS = 40; // per queue box, drawn; the number says the rest
  var queues = {};   // name -> {el, countEl, dots: []}
  var workers = {};  // name -> {el, countsEl, dots: []}
  var counts = {};
  var enqueuedTotal = 0;
  var logEl = document.getElementById("flow-log");

  function text(el, s) { el.textContent = s; }
  function el(tag, cls, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    (parent || stage).appendChild(e);
    return e;
  }
  function log(line) {
    var empty = document.getElementById("flow-log-empty");
    if (empty) empty.parentNode.removeChild(empty);
    var d = el("div", "", logEl);
    d.textContent = new Date().toLocaleTimeString() + "  " + line;
    while (logEl.childNodes.length > 60) logEl.removeChild(logEl.firstChild);
    logEl.scrollTop = logEl.scrollHeight;
  }
  function layout(map, top, bottom) {
    var names = Object.keys(map).sort();
    var n = Math.max(names.length, 1);
    var h = (bottom - top) / n;
    names.forEach(function (name, i) {
      var b = map[name].el;
      b.style.top = (top + i * h + 4) + "%";
      b.style.height = (h - 8) + "%";
    });
    // The boxes moved: so do the dots in them.
    Object.keys(queues).forEach(function (n) { restack(queues[n]); });
    Object.keys(workers).forEach(function (n) { restack(workers[n]); });
  }
  function center(box) {
    var r = box.getBoundingClientRect(), s = stage.getBoundingClientRect();
    return { x: r.left - s.left + r.width / 2, y: r.top - s.top + r.height / 2, w: r.width, h: r.height };
  }
  function spot(box, i) {
    var c = center(box);
    var cols = Math.max(4, Math.floor((c.w - 20) / 18));
    return { x: c.x - c.w / 2 + 10 + (i % cols) * 18, y: c.y + c.h / 2 - 32 - Math.floor(i / cols) * 18 };
  }
  function place(d, p) { d.style.left = p.x + "px"; d.style.top = p.y + "px"; }

  function queue(name) {
    if (!queues[name]) {
      var b = el("div", "flow-box flow-queue");
      b.id = "flow-queue-" + name;
      el("h3", "", b).textContent = "queue: " + name;
      var c = el("div", "big", b); c.textContent = "0";
      el("div", "sub", b).textContent = "waiting";
      queues[name] = { el: b, countEl: c, dots: [] };
      layout(queues, 2, 98);
    }
    return queues[name];
  }
  function worker(name) {
    if (!workers[name]) {
      var b = el("div", "flow-box flow-worker");
      b.id = "flow-worker-" + name;
      el("h3", "", b).textContent = name;
      var sub = el("div", "sub", b);
      var c = el("div", "", b);
      c.className = "counts";
      workers[name] = { el: b, subEl: sub, countsEl: c, dots: [] };
      counts[name] = counts[name] || { running: 0, done: 0, failed: 0 };
      layout(workers, 2, 98);
      drawCounts(name);
    }
    return workers[name];
  }
  function drawCounts(name) {
    var w = workers[name], c = counts[name];
    if (!w || !c) return;
    w.countsEl.textContent = "running " + c.running + " · done " + c.done + " · failed " + c.failed;
  }
  function dot(cls, from) {
    var d = el("div", "flow-dot " + cls);
    place(d, from);
    return d;
  }
  function retire(d, cls) {
    d.className = "flow-dot " + cls;
    setTimeout(function () { d.className += " gone"; }, 900);
    setTimeout(function () { if (d.parentNode) d.parentNode.removeChild(d); }, 1800);
  }
  function chip(cls, label, from, to) {
    var c = el("div", "flow-chip " + cls);
    c.textContent = label;
    place(c, from);
    requestAnimationFrame(function () { requestAnimationFrame(function () { place(c, to); }); });
    setTimeout(function () { c.style.opacity = "0"; }, 1400);
    setTimeout(function () { if (c.parentNode) c.parentNode.removeChild(c); }, 2500);
  }
  function restack(q) {
    q.dots.forEach(function (d, i) { place(d, spot(q.el, i)); });
  }

  function onEnqueued(e) {
    enqueuedTotal += e.count;
    text(document.getElementById("flow-web-count"), String(enqueuedTotal));
    var q = queue(e.queue);
    var web = center(document.getElementById("flow-web"));
    if (e.count > 1) {
      chip("enqueued", "+" + e.count + " enqueued to " + e.queue, web, center(q.el));
      log("+" + e.count + " enqueued to " + e.queue);
      for (var i = 0; i < e.count && q.dots.length < MAX_DOTS; i++) addQueued(q, web);
      return;
    }
    log("enqueued to " + e.queue);
    addQueued(q, web);
  }
  // A waiting dot flies from the web node into the queue (up to MAX_DOTS).
  function addQueued(q, from) {
    if (q.dots.length >= MAX_DOTS) return;
    var d = dot("", from);
    q.dots.push(d);
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      // A worker may have taken it already.
      var i = q.dots.indexOf(d);
      if (i >= 0) { d.className = "flow-dot queued"; place(d, spot(q.el, i)); }
    }); });
  }
  function onPicked(e) {
    var q = queue(e.queue), w = worker(e.worker);
    if (e.count > 1) {
      for (var i = 0; i < e.count && q.dots.length; i++) toWorker(q.dots.shift(), w, "");
      restack(q);
      chip("picked", e.worker + " took " + e.count + " from " + e.queue, center(q.el), center(w.el));
      log(e.worker + " took " + e.count + " from " + e.queue);
      return;
    }
    log(e.worker + " picked up " + (e.class || "a job") + " " + (e.jid || "") + " from " + e.queue);
    var d = q.dots.shift() || dot("queued", center(q.el));
    restack(q);
    toWorker(d, w, e.jid || "");
  }
  // A dot moves into a worker's box and runs there (turned purple).
  function toWorker(d, w, jid) {
    d.className = "flow-dot running";
    d.dataset.jid = jid;
    if (w.dots.length >= MAX_DOTS) { retire(d, "running"); return; }
    w.dots.push(d);
    place(d, spot(w.el, w.dots.length - 1));
  }
  function onFinished(e, ok) {
    var w = worker(e.worker), cls = ok ? "done" : "failed";
    if (e.count > 1) {
      for (var i = 0; i < e.count && w.dots.length; i++) retire(w.dots.shift(), cls);
      w.dots.forEach(function (x, k) { place(x, spot(w.el, k)); });
      chip(cls, e.worker + (ok ? " finished " : " failed ") + e.count, center(w.el),
        { x: center(w.el).x - 40, y: center(w.el).y - 60 });
      log(e.worker + (ok ? " finished " : " failed ") + e.count);
      return;
    }
    log(e.worker + (ok ? " finished " : " FAILED ") + (e.class || "a job") + " " + (e.jid || ""));
    var idx = -1;
    for (var j = 0; j < w.dots.length; j++) if (w.dots[j].dataset.jid === e.jid) { idx = j; break; }
    var d = idx >= 0 ? w.dots.splice(idx, 1)[0] : dot("running", center(w.el));
    retire(d, cls);
    w.dots.forEach(function (x, i) { place(x, spot(w.el, i)); });
  }
  function onState(s) {
    text(document.getElementById("flow-processed"), String(s.processed));
    text(document.getElementById("flow-failed"), String(s.failed));
    text(document.getElementById("flow-mode"), s.aggregated ? " · busy: showing groups" : "");
    Object.keys(s.queues).forEach(function (name) {
      var q = queue(name), n = s.queues[name];
      text(q.countEl, String(n));
      // Jobs a worker took but has not reported yet leave the queue too.
      while (q.dots.length > n) retire(q.dots.shift(), "running");
      restack(q);
    });
    // What the workers' heartbeats say they run, as purple dots.
    Object.keys(s.counts).forEach(function (name) {
      var w = worker(name), want = Math.min(s.counts[name].running, MAX_DOTS);
      var running = w.dots.filter(function (d) { return d.className.indexOf("running") >= 0; });
      for (var i = running.length; i < want; i++) toWorker(dot("running", center(w.el)), w, "");
      // Unnamed dots beyond what runs are gone (finished while unseen).
      for (var j = w.dots.length - 1; j >= 0 && w.dots.length > want; j--) {
        if (!w.dots[j].dataset.jid) retire(w.dots.splice(j, 1)[0], "done");
      }
    });
    s.workers.forEach(function (w) {
      // The queues the workers serve, even while empty.
      w.queues.forEach(function (name) { queue(name); });
      var b = worker(w.name);
      b.subEl.textContent = (w.ip ? w.ip + " · " : "") + w.concurrency + " threads · " + w.queues.join(", ");
    });
    Object.keys(s.counts).forEach(function (name) {
      counts[name] = s.counts[name];
      worker(name); drawCounts(name);
    });
  }
  function on(name, f) {
    src.addEventListener(name, function (m) {
      try { f(JSON.parse(m.data)); } catch (err) { log("bad event: " + err); }
    });
  }
  var status = document.getElementById("flow-status");
  var src = new EventSource("/lessons/flow/events");
  src.onopen = function () { status.textContent = "live"; status.className = "live"; };
  src.onerror = function () { status.textContent = "reconnecting…"; status.className = "down"; };
  on("enqueued", onEnqueued);
  on("picked", onPicked);
  on("done", function (e) { onFinished(e, true); });
  on("failed", function (e) { onFinished(e, false); });
  on("state", onState);
  on("resync", onState);
  on("store_error", function (e) { log("the store cannot be read: " + e); });
  window.addEventListener("resize", function () { layout(queues, 2, 98); layout(workers, 2, 98); });
})();
