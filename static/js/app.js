// EvalHub page helpers: theme, local times, confirmations, auto-submitting selects, the worker ping.
(function () {
  "use strict";
  const root = document.documentElement;

  function initTheme() {
    const toggle = document.querySelector("[data-theme-toggle]");
    if (!toggle) return;
    const current = root.getAttribute("data-theme") ||
      (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    toggle.checked = current === "dark";
    toggle.addEventListener("change", function () {
      const theme = toggle.checked ? "dark" : "light";
      root.setAttribute("data-theme", theme);
      localStorage.setItem("evalhub-theme", theme);
    });
  }

  function localTimes() {
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      const d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.title = el.textContent; el.textContent = d.toLocaleString(); }
    });
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    });
  }

  function pollPing() {
    const box = document.getElementById("ping-state");
    if (!box || !box.dataset.jobId) return;
    const pending = ["queued", "started", "deferred", "scheduled"];
    if (pending.indexOf(box.dataset.status) < 0) return;
    const url = box.dataset.pingUrl.replace("__ID__", encodeURIComponent(box.dataset.jobId));
    let tries = 0;
    const timer = setInterval(function () {
      tries += 1;
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (!state || pending.indexOf(state.status) >= 0) { if (tries > 120) clearInterval(timer); return; }
          clearInterval(timer);
          window.location.reload();
        })
        .catch(function () { if (tries > 120) clearInterval(timer); });
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initTheme(); localTimes(); confirmations(); pollPing();
  });
})();
