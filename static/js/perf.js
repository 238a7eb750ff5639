// Benchmark pages: the new-benchmark form, the live run page (SSE: progress, status, log) and the charts.
(function () {
  "use strict";

  const BADGES = { queued: "badge-ghost", running: "badge-info", succeeded: "badge-success",
                   failed: "badge-error", cancelled: "badge-warning" };
  const COLORS = ["#4f46e5", "#db2777", "#059669", "#d97706", "#0891b2", "#7c3aed", "#dc2626", "#65a30d"];

  function initForm() {
    const form = document.querySelector("[data-perf-form]");
    if (!form) return;
    const source = form.querySelector("select[name=prompt_source]");
    function sync() {
      form.querySelectorAll("[data-source]").forEach(function (el) {
        el.hidden = el.getAttribute("data-source") !== source.value;
      });
    }
    source.addEventListener("change", sync);
    sync();
  }

  function initLive() {
    const root = document.getElementById("perf-run");
    if (!root || root.dataset.active !== "1" || !window.EventSource) return;
    const bar = document.getElementById("perf-progress");
    const text = document.getElementById("perf-progress-text");
    const status = document.getElementById("perf-status");
    const note = document.getElementById("perf-note");
    const error = document.getElementById("perf-error");
    const log = document.getElementById("perf-log");
    const url = root.dataset.eventsUrl + "?from=" + encodeURIComponent(root.dataset.logPosition || "0");
    const source = new EventSource(url);

    function show(el, value) {
      el.textContent = value || "";
      el.classList.toggle("hidden", !value);
    }
    source.addEventListener("log", function (ev) {
      const data = JSON.parse(ev.data);
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.append(document.createTextNode(data.lines.join("\n") + "\n"));
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    source.addEventListener("progress", function (ev) {
      const s = JSON.parse(ev.data);
      bar.max = s.total || 1;
      bar.value = s.done;
      text.textContent = (text.dataset.template || "{done} of {total} requests")
        .replace("{done}", s.done).replace("{total}", s.total);
      status.innerHTML = "";
      const badge = document.createElement("span");
      badge.className = "badge " + (BADGES[s.status] || "badge-ghost");
      badge.dataset.status = s.status;
      badge.textContent = JSON.parse(root.dataset.labels || "{}")[s.status] || s.status;
      status.append(badge);
      root.dataset.status = s.status;
      show(note, s.note);
      show(error, s.error);
    });
    source.addEventListener("done", function () {
      source.close();
      window.location.reload(); // the report (tables and charts) is rendered by the server
    });
  }

  function byConcurrency(runs) {
    const all = new Set();
    runs.forEach(function (r) { r.concurrency.forEach(function (c) { all.add(c); }); });
    return Array.from(all).sort(function (a, b) { return a - b; });
  }

  function align(run, labels, values) {
    return labels.map(function (c) {
      const i = run.concurrency.indexOf(c);
      return i < 0 ? null : values[i];
    });
  }

  function draw(id, labels, datasets, yTitle, y1Title) {
    const canvas = document.getElementById(id);
    if (!canvas) return null;
    const scales = {
      x: { title: { display: true, text: "concurrency" } },
      y: { beginAtZero: true, title: { display: true, text: yTitle } },
    };
    if (y1Title) {
      scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                    title: { display: true, text: y1Title } };
    }
    return new window.Chart(canvas, {
      type: "line",
      data: { labels: labels.map(String), datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, spanGaps: true, animation: false,
                 interaction: { mode: "index", intersect: false }, scales: scales },
    });
  }

  function line(label, data, color, extra) {
    return Object.assign({ label: label, data: data, borderColor: color, backgroundColor: color,
                           tension: 0.2, pointRadius: 3 }, extra || {});
  }

  function initCharts() {
    const holder = document.getElementById("perf-chart-data");
    if (!holder || !window.Chart) return;
    const runs = JSON.parse(holder.textContent);
    const labels = byConcurrency(runs);
    const prefix = function (run, text) { return runs.length > 1 ? run.name + " · " + text : text; };
    const thr = [], lat = [], ttft = [], tpot = [];
    let color = 0;
    runs.forEach(function (run, n) {
      const dash = n ? { borderDash: [6, 4] } : {};
      thr.push(line(prefix(run, "req/s"), align(run, labels, run.req_per_s), COLORS[color % 8], dash));
      thr.push(line(prefix(run, "output tok/s"), align(run, labels, run.output_tok_per_s), COLORS[(color + 1) % 8],
                    Object.assign({ yAxisID: "y1" }, dash)));
      lat.push(line(prefix(run, "p99 latency"), align(run, labels, run.p99_latency_s), COLORS[color % 8], dash));
      lat.push(line(prefix(run, "avg latency"), align(run, labels, run.avg_latency_s), COLORS[(color + 1) % 8], dash));
      Object.keys(run.ttft_ms).forEach(function (p, i) {
        ttft.push(line(prefix(run, "TTFT p" + p.replace("%", "")), align(run, labels, run.ttft_ms[p]),
                       COLORS[(color + i) % 8], dash));
        tpot.push(line(prefix(run, "TPOT p" + p.replace("%", "")), align(run, labels, run.tpot_ms[p]),
                       COLORS[(color + i) % 8], dash));
      });
      color += 4;
    });
    draw("chart-throughput", labels, thr, "req/s", "tok/s");
    draw("chart-latency", labels, lat, "seconds");
    draw("chart-ttft", labels, ttft, "ms");
    draw("chart-tpot", labels, tpot, "ms");
  }

  document.addEventListener("DOMContentLoaded", function () {
    initForm(); initLive(); initCharts();
  });
})();
