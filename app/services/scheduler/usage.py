"""What an endpoint's capacity is doing now, for the run pages, the admin page and ``/metrics``: in use, waiting,
by which runs. A viewer sees their own runs named and others' counted; an admin sees every run named."""
from __future__ import annotations

from collections import Counter

from app.extensions import db, queues
from app.models import ModelEndpoint
from app.services.scheduler import admission, leases
from app.services.scheduler.seat import ENDPOINTS


def _run_of(member: str) -> tuple[str, str]:
    """(user part, run ref) of ``u<user>|<run ref>|...``."""
    parts = member.split("|")
    return parts[0], parts[1] if len(parts) > 1 else "?"


def snapshot(key: str) -> dict | None:
    """Raw state of one endpoint: name, capacity, holders, waiters, runs, exclusive holder (None: never used)."""
    conn = queues.connection
    meta = {k.decode(): v.decode() for k, v in conn.hgetall(leases.key_of(key, "meta")).items()}
    if not meta:
        return None
    capacity = int(meta.get("capacity") or 1)
    return {"key": key, "name": meta.get("name"), "model": meta.get("model"), "base_url": meta.get("base_url"),
            "capacity": capacity, "holders": leases.holders(conn, key, capacity),
            "waiters": leases.live_waiters(conn, key), "runs": admission.live_runs(conn, key),
            "exclusive": admission.exclusive_holder(conn, key)}


def all_endpoints() -> list[dict]:
    """Snapshots of every endpoint the scheduler has seen."""
    keys = sorted(k.decode() for k in queues.connection.smembers(ENDPOINTS))
    return [s for s in (snapshot(k) for k in keys) if s is not None]


def view(key: str, user_id: int | None, see_all: bool = False) -> dict | None:
    """The capacity of one endpoint as ``user_id`` may see it; None when Redis is down or it was never used."""
    try:
        state = snapshot(key)
    except Exception:  # noqa: BLE001 - a page must render with Redis down
        return None
    if state is None:
        return None
    in_use = Counter(_run_of(m)[1] for m in state["holders"])
    waiting = Counter()
    for member in state["waiters"]:
        waiting[_run_of(member)[1]] += leases.waiting_count(member)
    owners = {_run_of(m)[1]: _run_of(m)[0] for m in state["holders"] + state["waiters"] + state["runs"]}
    if state["exclusive"]:
        owners.setdefault(_run_of(state["exclusive"])[1], _run_of(state["exclusive"])[0])
    mine, others = [], {"runs": 0, "in_use": 0, "waiting": 0}
    for ref, owner in sorted(owners.items()):
        if see_all or owner == f"u{user_id}":
            mine.append({"run": ref, "in_use": in_use[ref], "waiting": waiting[ref],
                         "benchmark": bool(state["exclusive"]) and _run_of(state["exclusive"])[1] == ref})
        else:
            others["runs"] += 1
            others["in_use"] += in_use[ref]
            others["waiting"] += waiting[ref]
    return {"name": state["name"], "capacity": state["capacity"], "in_use": len(state["holders"]),
            "waiting": sum(waiting.values()), "benchmark": state["exclusive"] is not None,
            "runs": mine, "others": others}


def for_run(run, user) -> list[dict]:
    """The capacity of each endpoint an active run uses (model, judge), as ``user`` may see it."""
    if not run.is_active:
        return []
    ids = dict.fromkeys(i for i in (run.endpoint_id, getattr(run, "judge_endpoint_id", None)) if i)
    found = []
    for endpoint in filter(None, (db.session.get(ModelEndpoint, i) for i in ids)):
        seen = view(leases.endpoint_key(endpoint.base_url, endpoint.model_name), user.id, see_all=user.is_admin)
        if seen is not None:
            found.append(seen)
    return found


def all_views() -> list[dict]:
    """Every endpoint's capacity with every run named (the admin page)."""
    try:
        keys = sorted(k.decode() for k in queues.connection.smembers(ENDPOINTS))
    except Exception:  # noqa: BLE001 - a page must render with Redis down
        return []
    return [v for v in (view(k, None, see_all=True) for k in keys) if v is not None]
