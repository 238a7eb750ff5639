// Evaluations: the request estimate on the form, and live progress + log on a run page (SSE).
(function () {
  "use strict";

  function estimate() {
    const form = document.getElementById("eval-form");
    const out = document.getElementById("request-estimate");
    if (!form || !out) return;
    function update() {
      let total = 0;
      const judgeMcq = form.querySelector("[name=judge_mcq]").checked;
      const hasJudge = form.querySelector("[name=judge_id]").value !== "";
      // a panel: each judge reads every judged answer
      const judges = (hasJudge ? 1 : 0) + Array.from(form.querySelectorAll("[name=judge_ids]")).filter(function (s) { return s.value !== ""; }).length;
      form.querySelectorAll("fieldset[data-dataset]").forEach(function (fs) {
        const id = fs.dataset.dataset;
        if (!fs.querySelector("[name=dataset_id]").checked) return;
        const counts = JSON.parse(fs.dataset.counts || "{}");
        const picked = Array.from(fs.querySelectorAll("[name='subsets-" + id + "']:checked")).map(function (c) { return c.value; });
        const split = fs.querySelector("[name='split-" + id + "']").value;
        const limit = parseInt(fs.querySelector("[name='limit-" + id + "']").value, 10) || Infinity;
        Object.keys(counts).forEach(function (subset) {
          if (picked.length && picked.indexOf(subset) < 0) return;
          let n = 0;
          Object.keys(counts[subset]).forEach(function (sp) { if (!split || sp === split) n += counts[subset][sp]; });
          n = Math.min(n, limit);
          const judged = fs.dataset.format === "qa" || (judgeMcq && hasJudge);
          total += n * (1 + (judged ? Math.max(judges, 1) : 0));
        });
      });
      out.textContent = total ? out.dataset.template.replace("__N__", total) : "";
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  function picker() {
    // Search the datasets by name or format; chosen ones always stay in view.
    const box = document.querySelector("[data-dataset-picker]");
    if (!box) return;
    const search = box.querySelector("#dataset-search");
    const count = box.querySelector("#dataset-count");
    const sets = Array.from(document.querySelectorAll("#dataset-list fieldset[data-dataset]"));
    function update() {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0, chosen = 0;
      sets.forEach(function (fs) {
        const picked = fs.querySelector("[name=dataset_id]").checked;
        const text = (fs.querySelector("legend").textContent + " " + fs.dataset.format).toLowerCase();
        const match = picked || words.every(function (w) { return text.indexOf(w) >= 0; });
        fs.hidden = !match;
        shown += match ? 1 : 0;
        chosen += picked ? 1 : 0;
      });
      count.textContent = count.dataset.template.replace("__S__", shown).replace("__T__", sets.length)
        .replace("__C__", chosen);
    }
    box.hidden = false;
    search.addEventListener("input", update);
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") ev.preventDefault(); });
    document.getElementById("dataset-list").addEventListener("change", update);
    update();
  }

  function duration(seconds) {
    // "1m 5s", in the page's language (the template sits on the run box)
    const box = document.getElementById("run-live");
    const template = (box && box.dataset.duration) || "__M__m __S__s";
    return template.replace("__M__", Math.floor(seconds / 60)).replace("__S__", seconds % 60);
  }

  function elapsed(el) {
    if (!el) return;
    const started = el.dataset.started ? new Date(el.dataset.started) : null;
    if (!started) return;
    const end = el.dataset.finished ? new Date(el.dataset.finished) : new Date();
    const s = Math.max(0, Math.round((end - started) / 1000));
    el.textContent = duration(s);
  }

  function live() {
    const box = document.getElementById("run-live");
    if (!box) return;
    const timeEl = box.querySelector("[data-elapsed]");
    elapsed(timeEl);
    if (box.dataset.active !== "true" || !window.EventSource) return;
    const tick = setInterval(function () { elapsed(timeEl); }, 1000);
    const url = box.dataset.eventsUrl + "?from=" + encodeURIComponent(box.dataset.logFrom || 0);
    const source = new EventSource(url);
    const log = box.querySelector("[data-log]");
    source.addEventListener("log", function (ev) {
      const data = JSON.parse(ev.data);
      log.textContent += data.lines.join("\n") + "\n";
      log.scrollTop = log.scrollHeight;
    });
    source.addEventListener("status", function (ev) {
      const run = JSON.parse(ev.data);
      const bar = box.querySelector("[data-progress]");
      bar.max = run.progress.total || 1;
      bar.value = run.progress.done;
      box.querySelector("[data-progress-text]").textContent =
        run.progress.done + " / " + run.progress.total + " (" + run.progress.percent + "%)";
      box.querySelector("[data-status]").textContent = JSON.parse(box.dataset.labels || "{}")[run.status] || run.status;
      const list = box.querySelector("[data-datasets]");
      list.textContent = "";
      Object.keys(run.progress.datasets || {}).forEach(function (name) {
        const li = document.createElement("li");
        const dt = run.progress.datasets[name];
        li.textContent = name + ": " + dt[0] + " / " + dt[1];
        list.appendChild(li);
      });
      if (run.started_at) timeEl.dataset.started = run.started_at;
      const note = box.querySelector("[data-note]");
      if (run.status === "queued") {
        note.textContent = run.note || ""; // why it waits: the runs ahead of it in the queue
        note.dataset.queued = "true";
      } else if (note.dataset.queued) {
        note.textContent = ""; // a worker took it: the queue note no longer holds
        delete note.dataset.queued;
      } else if (run.status === "running" && run.progress.total && run.progress.done >= run.progress.total) {
        note.textContent = note.dataset.finishing; // every answer is in: the engine scores and saves
      } else if (run.progress.total && run.progress.done && run.started_at && run.status === "running") {
        const spent = (new Date() - new Date(run.started_at)) / 1000;
        const left = Math.max(1, Math.round(spent * (run.progress.total - run.progress.done) / run.progress.done));
        note.textContent = note.dataset.eta.replace("__T__", duration(left));
      }
    });
    source.addEventListener("end", function () {
      source.close();
      clearInterval(tick);
      window.location.reload();
    });
  }

  // A subset's label, cut to fit a phone (the table below the chart has the whole name).
  function shortLabel(label) {
    const max = window.innerWidth < 640 ? 12 : 40;
    return label.length > max ? label.slice(0, max - 1) + "…" : label;
  }

  // The report's score per subset: a radar for 3-12 subsets, else bars (data from eval_reports.subset_chart).
  function subsetChart() {
    const holder = document.getElementById("subset-chart-data");
    if (!holder || !window.Chart) return;
    const chart = JSON.parse(holder.textContent);
    const data = { labels: chart.labels, datasets: [{ label: "%", data: chart.scores, borderColor: "#4f46e5",
      backgroundColor: chart.type === "radar" ? "rgba(79, 70, 229, 0.2)" : "#4f46e5" }] };
    const scale = { min: 0, max: 100 };
    new window.Chart(document.getElementById("subset-chart"), {
      type: chart.type, data: data,
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                 scales: chart.type === "radar" ? { r: Object.assign({ pointLabels: { callback: shortLabel } }, scale) }
                                                : { y: scale, x: { ticks: { callback: function (v) { return shortLabel(this.getLabelForValue(v)); } } } } }
    });
    holder.dataset.drawn = "1";
  }

  document.addEventListener("DOMContentLoaded", function () { estimate(); picker(); live(); subsetChart(); });
})();
