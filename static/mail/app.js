// Mail catcher UI: live list over server-sent events, clear all, delete one.
// Every URL is built from data-base, so the UI works wherever it is mounted.
(function () {
  "use strict";
  var base = document.body.getAttribute("data-base") || "/";

  function humanSize(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / (1024 * 1024)).toFixed(1) + " MB";
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  // Built with textContent only: message fields never become markup.
  function row(m) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-id", String(m.id));
    tr.className = "new";
    var strip = function (a) { return a.replace(/^<|>$/g, ""); };
    tr.appendChild(cell(m.from || strip(m.sender)));
    tr.appendChild(cell((m.to && m.to.length ? m.to : m.recipients.map(strip)).join(", ")));
    var subject = document.createElement("td");
    var a = document.createElement("a");
    a.href = base + "view/" + m.id;
    a.textContent = m.subject || "(no subject)";
    subject.appendChild(a);
    tr.appendChild(subject);
    var size = cell(humanSize(m.size));
    size.className = "num";
    tr.appendChild(size);
    var when = document.createElement("td");
    var time = document.createElement("time");
    time.setAttribute("datetime", m.created_at);
    time.textContent = m.created_at.replace("T", " ").replace("Z", " UTC");
    when.appendChild(time);
    tr.appendChild(when);
    return tr;
  }

  var table = document.getElementById("messages");
  var tbody = table ? table.querySelector("tbody") : null;
  var empty = document.getElementById("empty");
  function refreshEmpty() {
    if (empty && tbody) empty.hidden = tbody.children.length > 0;
  }

  // A click anywhere on a row opens its message, as MailCatcher's list does
  // (the subject stays a real link for keyboards and new tabs).
  if (tbody) {
    tbody.addEventListener("click", function (e) {
      if (e.target.closest("a, button, input")) return;
      var tr = e.target.closest("tr[data-id]");
      if (tr) location.href = base + "view/" + tr.getAttribute("data-id");
    });
  }

  if (tbody && window.EventSource) {
    var live = document.getElementById("live");
    var source = new EventSource(base + "events");
    source.addEventListener("hello", function () { if (live) live.classList.add("on"); });
    source.addEventListener("error", function () { if (live) live.classList.remove("on"); });
    source.addEventListener("add", function (e) {
      var m = JSON.parse(e.data).message;
      tbody.insertBefore(row(m), tbody.firstChild);
      refreshEmpty();
    });
    source.addEventListener("remove", function (e) {
      var id = String(JSON.parse(e.data).id);
      Array.prototype.forEach.call(tbody.querySelectorAll("tr"), function (tr) {
        if (tr.getAttribute("data-id") === id) tr.remove();
      });
      refreshEmpty();
    });
    source.addEventListener("clear", function () {
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      refreshEmpty();
    });
    source.addEventListener("reload", function () { location.reload(); });
  }

  var clearAll = document.getElementById("clear-all");
  if (clearAll) {
    clearAll.addEventListener("click", function () {
      if (!confirm("Delete every message?")) return;
      fetch(base + "messages", { method: "DELETE" }).then(function (r) {
        if (!r.ok) alert("Could not clear: " + r.status);
      });
    });
  }

  var del = document.getElementById("delete-message");
  if (del) {
    del.addEventListener("click", function () {
      fetch(base + "messages/" + del.getAttribute("data-id"), { method: "DELETE" }).then(function (r) {
        if (r.ok || r.status === 404) location.href = base;
        else alert("Could not delete: " + r.status);
      });
    });
  }
})();
