"""``dataset_info``: the subsets, splits, fields and row counts of one dataset version."""
from __future__ import annotations

from collections import Counter

from app.services.datasets.formats import KEYS, ordered_fields


def build_info(counts: dict[tuple[str, str], int], fields) -> dict:
    """``{"rows", "subsets": {name: n}, "splits": {name: n}, "counts": {subset: {split: n}}, "fields": [...]}``
    from row counts per ``(subset, split)`` and the field names seen."""
    subsets: Counter = Counter()
    splits: Counter = Counter()
    nested: dict[str, dict[str, int]] = {}
    for (subset, split), n in sorted(counts.items()):
        if not n:
            continue
        subsets[subset] += n
        splits[split] += n
        nested.setdefault(subset, {})[split] = n
    return {"rows": sum(subsets.values()), "subsets": dict(subsets), "splits": dict(splits), "counts": nested,
            "fields": ordered_fields(fields)}


class InfoCounter:
    """Accumulates ``dataset_info`` while records stream past."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.fields: set[str] = set()

    def add(self, record: dict) -> None:
        self.counts[(record["subset"], record["split"])] += 1
        self.fields.update(k for k in record if k not in KEYS)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def result(self) -> dict:
        return build_info(self.counts, self.fields)


def count_in(info: dict, subset: str | None = None, split: str | None = None) -> int:
    """Rows of ``info``'s version in ``subset`` and/or ``split`` (all rows when neither is given)."""
    if subset and split:
        return info.get("counts", {}).get(subset, {}).get(split, 0)
    if subset:
        return info.get("subsets", {}).get(subset, 0)
    if split:
        return info.get("splits", {}).get(split, 0)
    return info.get("rows", 0)
