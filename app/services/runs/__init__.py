"""The run lifecycle: one home for every state change of every run kind (evaluations, benchmarks).

A run is a database row first, then an RQ job whose id is stored on the row; the row is the truth the UI reads.
Every status change is a compare-and-set on the row (``UPDATE … WHERE status IN (…)``, checking the row count):
whoever loses a race stops. Workers write progress, samples and a heartbeat to the row, and log lines to Redis;
the workers' periodic maintenance (``maintenance.py``, one machine at a time under a Redis lock) reaps dead runs
and queues lost jobs again. No page read writes.
"""
from app.services.runs.lifecycle import (ACTIVE, FINAL, cancel, enqueue, finish, heartbeat, job_timeout_seconds,
                                         queue_note, queue_position, reap_dead, register_kind, requeue_lost, reopen,
                                         start, submit, transition)
from app.services.runs.logs import append_log, log_key, read_log

__all__ = ["ACTIVE", "FINAL", "append_log", "cancel", "enqueue", "finish", "heartbeat", "job_timeout_seconds",
           "log_key", "queue_note", "queue_position", "read_log", "reap_dead", "register_kind", "reopen",
           "requeue_lost", "start", "submit", "transition"]
