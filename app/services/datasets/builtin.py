"""The system datasets shipped in ``app/builtin_datasets`` (see its README.md and manifest.json).

Loading is idempotent, keyed by each entry's slug: a new entry becomes a system dataset, a file whose checksum
changed becomes a new version of its dataset, an unchanged one is left alone.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Dataset, User
from app.services.datasets import catalog, store, validate
from app.services.datasets.formats import Mapping

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "builtin_datasets"
META = ("source", "license", "url", "description")


def manifest(directory: Path = BUILTIN_DIR) -> list[dict]:
    """The entries of ``manifest.json``."""
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_builtin(actor: User | None = None, directory: Path = BUILTIN_DIR) -> list[tuple[str, str]]:
    """Create or refresh every built-in dataset; returns ``(slug, what happened)`` for each entry."""
    results = []
    for entry in manifest(directory):
        path = directory / entry["file"]
        checksum = _sha256(path)
        meta = {key: entry.get(key) or "" for key in META}
        dataset = db.session.scalar(sa.select(Dataset).where(Dataset.slug == entry["slug"]))
        try:
            with path.open("rb") as fh:
                if dataset is None:
                    dataset = store.create_from_file(None, actor, name=entry["name"], fmt=entry["format"], stream=fh,
                                                     filename=entry["file"], mapping=Mapping(entry["format"]),
                                                     slug=entry["slug"], checksum=checksum, **meta)
                    results.append((entry["slug"], f"created ({dataset.row_count} rows)"))
                elif dataset.checksum != checksum:
                    version = store.replace_from_file(dataset, actor, stream=fh, filename=entry["file"],
                                                      mapping=Mapping(dataset.format), checksum=checksum,
                                                      note=f"Reloaded {entry['file']}", **meta)
                    results.append((entry["slug"], f"updated to version {version}"))
                else:
                    results.append((entry["slug"], "unchanged"))
        except (catalog.DatasetError, validate.UploadInvalid) as exc:
            db.session.rollback()
            details = "; ".join(getattr(exc, "errors", [])[:5])
            results.append((entry["slug"], f"failed: {exc}" + (f" ({details})" if details else "")))
    return results
