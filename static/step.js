// Every page: once a step's link on /tutorials was followed in this tab, a
// bar at the top leads back to that step of the checklist (× hides it).
(() => {
  let step = null;
  try {
    step = JSON.parse(sessionStorage.getItem("kiqlab-step") || "null");
  } catch (_) {
    step = null;
  }
  if (!step || typeof step.id !== "string" || location.pathname === "/tutorials") return;
  const show = () => {
    const main = document.querySelector("main");
    if (!main) return;
    const bar = document.createElement("p");
    bar.className = "tutorial-back";
    bar.id = "tutorial-back";
    const a = document.createElement("a");
    a.href = "/tutorials#" + encodeURIComponent(step.id);
    a.textContent = "← back to tutorial " + step.tutorial + ": " + step.title;
    const hide = document.createElement("button");
    hide.type = "button";
    hide.title = "Hide";
    hide.textContent = "×";
    hide.addEventListener("click", () => {
      sessionStorage.removeItem("kiqlab-step");
      bar.remove();
    });
    bar.append(a, " ", hide);
    main.prepend(bar);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();
