// /tutorials: the checklist's ticks, kept in this browser (localStorage).
for (const box of document.querySelectorAll("input[data-step]")) {
  const key = "kiqlab-step-" + box.dataset.step;
  box.checked = localStorage.getItem(key) === "1";
  box.addEventListener("change", () => localStorage.setItem(key, box.checked ? "1" : "0"));
}

// Following a step's link remembers the step (for this tab), so the pages it
// leads to can link back to it (static/step.js).
for (const a of document.querySelectorAll(".step-links a")) {
  a.addEventListener("click", () => {
    const li = a.closest("li[id]");
    const section = li && li.closest("section.tutorial");
    if (!li || !section) return;
    sessionStorage.setItem("kiqlab-step", JSON.stringify({
      id: li.id,
      title: li.querySelector("label").textContent.trim(),
      tutorial: section.querySelector("h2").textContent.trim().split(" · ")[0],
    }));
  });
}
