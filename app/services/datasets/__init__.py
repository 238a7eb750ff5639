"""Datasets: upload and validation (``store``, ``validate``, ``readers``, ``formats``), reading (``rows``), online
editing (``versions``), export, the built-in system datasets, and lookups scoped to a user (``catalog``).

Evaluations read a pinned version with ``iter_rows(dataset, version, subsets=None, split=None)``.
"""
from app.services.datasets.rows import iter_rows

__all__ = ["iter_rows"]
