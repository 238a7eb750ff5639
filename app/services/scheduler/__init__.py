"""One scheduler per model endpoint (``base_url`` + model name), shared by every user, run and worker machine.

- ``leases``: an endpoint's capacity as Redis slots with expiry; fair between users; a touch count per endpoint.
- ``admission``: which runs use an endpoint, and a benchmark's exclusive hold (it measures an idle server).
- ``proxy``: the per-job forwarding proxy the engines talk to, so each request takes a slot first.
- ``seat``: a run's hold on its endpoints from start to end (what workers/runner.py uses).
- ``usage``: what an endpoint's capacity is doing now, for the pages and ``/metrics``.
"""
from app.services.scheduler.leases import endpoint_key, touch
from app.services.scheduler.seat import Seat
from app.services.scheduler.usage import all_endpoints, all_views, for_run, view

__all__ = ["Seat", "all_endpoints", "all_views", "endpoint_key", "for_run", "touch", "view"]
