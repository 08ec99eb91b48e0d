// /tutorials: the checklist's ticks, kept in this browser (localStorage).
for (const box of document.querySelectorAll("input[data-step]")) {
  const key = "kiqlab-step-" + box.dataset.step;
  box.checked = localStorage.getItem(key) === "1";
  box.addEventListener("change", () => localStorage.setItem(key, box.checked ? "1" : "0"));
}
