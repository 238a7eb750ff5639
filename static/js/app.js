// EvalHub page helpers: theme, the phone menu, stacked tables, local times, confirmations, auto-submitting selects, the worker ping.
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
      // in the page's language (the user's choice), not the browser's; in the browser's time zone
      if (!isNaN(d)) { el.title = el.textContent; el.textContent = d.toLocaleString(root.lang || undefined); }
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

  function navMenu() {
    // The phone menu is a <details>: Enter/Space toggle it natively; Escape and a click elsewhere close it.
    const menu = document.querySelector("details[data-nav-menu]");
    if (!menu) return;
    const summary = menu.querySelector("summary");
    function sync() { summary.setAttribute("aria-expanded", menu.open ? "true" : "false"); }
    menu.addEventListener("toggle", sync);
    sync();
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && menu.open) { menu.open = false; summary.focus(); }
    });
    document.addEventListener("click", function (ev) {
      if (menu.open && !menu.contains(ev.target)) menu.open = false;
    });
  }

  function stackLabels() {
    // Phones show each row of a .table-stack as a card: every cell is labelled with its column's heading.
    document.querySelectorAll("table.table-stack").forEach(function (table) {
      const heads = Array.from(table.querySelectorAll("thead th")).map(function (th) {
        return th.querySelector(".sr-only") ? "" : th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.from(tr.children).forEach(function (td, i) { if (heads[i]) td.setAttribute("data-label", heads[i]); });
      });
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
    initTheme(); navMenu(); stackLabels(); localTimes(); confirmations(); pollPing();
  });
})();
