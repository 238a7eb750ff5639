"""Prometheus metrics (``/metrics``, admins only): read from the database and Redis at each scrape, so every web
process answers the same and nothing is kept in memory between scrapes."""
from __future__ import annotations

from collections import Counter, defaultdict

import sqlalchemy as sa
from flask import current_app
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from app.extensions import db, queues
from app.models import EvalRun, EvalSample, PerfRun
from app.models.run import STATUSES
from app.services.runs import fleet
from app.services.scheduler import all_endpoints, leases

KINDS = {"evaluation": EvalRun, "benchmark": PerfRun}


def _runs() -> GaugeMetricFamily:
    family = GaugeMetricFamily("evalhub_runs", "Runs by kind and state (waiting: started, waiting for its model).",
                               labels=["kind", "state"])
    for kind, model in KINDS.items():
        counts = Counter(dict(db.session.execute(sa.select(model.status, sa.func.count()).group_by(model.status))
                              .all()))
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.status == "running", model.status_note.startswith("Waiting:")))
        counts["running"] -= waiting
        for state in (*STATUSES, "waiting"):
            family.add_metric([kind, state], waiting if state == "waiting" else counts[state])
    return family


def _queues_and_workers() -> list:
    depth = GaugeMetricFamily("evalhub_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
    for name in current_app.config["JOB_QUEUES"]:
        depth.add_metric([name], queues.get(name).count)
    live = fleet.live()
    alive = GaugeMetricFamily("evalhub_workers_alive", "Workers that published their record recently.",
                              value=len(live))
    engines = GaugeMetricFamily("evalhub_worker_engine", "Engines each live worker can run (value 1).",
                                labels=["worker", "engine", "version"])
    for record in live:
        for engine, version in record.get("engines", {}).items():
            engines.add_metric([record["name"], engine, version or ""], 1)
    return [depth, alive, engines]


def _endpoints() -> list:
    labels = ["model", "base_url"]
    families = {name: GaugeMetricFamily(f"evalhub_endpoint_{name}", text, labels=labels) for name, text in (
        ("capacity", "The endpoint's concurrency limit, shared by every run."),
        ("requests_in_flight", "Requests of runs at the endpoint now."),
        ("requests_waiting", "Requests of runs waiting for the endpoint's capacity."),
        ("runs", "Runs using the endpoint now."),
        ("benchmark_holding", "1 while a benchmark holds the endpoint whole."))}
    for s in all_endpoints():
        values = {"capacity": s["capacity"], "requests_in_flight": len(s["holders"]),
                  "requests_waiting": sum(map(leases.waiting_count, s["waiters"])), "runs": len(s["runs"]),
                  "benchmark_holding": 1 if s["exclusive"] else 0}
        for name, value in values.items():
            families[name].add_metric([s["model"] or "", s["base_url"] or ""], value)
    return list(families.values())


def _work() -> list:
    samples = CounterMetricFamily("evalhub_samples", "Evaluation samples stored, by verdict.", labels=["verdict"])
    for verdict, count in db.session.execute(sa.select(EvalSample.verdict, sa.func.count())
                                             .group_by(EvalSample.verdict)).all():
        samples.add_metric([verdict or "none"], count)
    tokens = CounterMetricFamily("evalhub_tokens", "Tokens of evaluation samples, by kind.", labels=["kind"])
    prompt, completion = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(EvalSample.prompt_tokens), 0),
                                                      sa.func.coalesce(sa.func.sum(EvalSample.completion_tokens), 0))
                                            ).one()
    tokens.add_metric(["prompt"], int(prompt))
    tokens.add_metric(["completion"], int(completion))
    seconds = defaultdict(float)
    for name, started, finished in db.session.execute(sa.select(PerfRun.endpoint_name, PerfRun.started_at,
                                                                PerfRun.finished_at).where(
            PerfRun.started_at.is_not(None), PerfRun.finished_at.is_not(None))).all():
        seconds[name] += max(0.0, (finished - started).total_seconds())
    bench = CounterMetricFamily("evalhub_benchmark_seconds", "Time benchmarks held each model, by model name.",
                                labels=["endpoint"])
    for name, value in sorted(seconds.items()):
        bench.add_metric([name], value)
    return [samples, tokens, bench]


class _Collector:
    def collect(self):
        yield _runs()
        yield from _queues_and_workers()
        yield from _endpoints()
        yield from _work()


def exposition() -> bytes:
    """The metrics in Prometheus's text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return generate_latest(registry)
