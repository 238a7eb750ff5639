"""Every download names its type once: ``text/csv; charset=utf-8``, never a second ``; charset=utf-8`` that Flask
appends to a text mimetype already holding one."""
import pytest

from tests import perf_helpers
from tests.datasets_helpers import jsonl_bytes, upload_page
from tests.models_helpers import make_model
from tests.test_exports_safe import finished_run
from tests.test_perf_pages import with_levels

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVAL_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xlsx": XLSX}


def fetched(client, url: str, **kwargs):
    """The response read to its end (a streamed body holds its request open until then)."""
    r = client.get(url, **kwargs)
    r.get_data()
    r.close()
    return r


@pytest.mark.parametrize("fmt", sorted(EVAL_TYPES))
def test_evaluation_exports_page_and_api(client, user, fake_llm, api_headers, fmt):
    run = finished_run(user, make_model(user, fake_llm), "4")
    for r in (fetched(client, f"/evals/{run.id}/export?format={fmt}"),
              fetched(client, f"/api/v1/evals/{run.id}/export?format={fmt}", headers=api_headers(user))):
        assert r.status_code == 200
        assert r.headers["Content-Type"] == EVAL_TYPES[fmt]
        assert r.headers["Content-Disposition"] == f'attachment; filename="evaluation-{run.id}.{fmt}"'


def test_dataset_exports_page_and_api(client, user, api_headers):
    r = upload_page(client, jsonl_bytes([{"question": "q", "answer": "a"}]), "d.jsonl", fmt="qa")
    dataset_id = r.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    for fmt, expected in (("csv", "text/csv; charset=utf-8"), ("jsonl", "application/x-ndjson; charset=utf-8")):
        for r in (fetched(client, f"/datasets/{dataset_id}/export?format={fmt}"),
                  fetched(client, f"/api/v1/datasets/{dataset_id}/export?format={fmt}", headers=api_headers(user))):
            assert r.status_code == 200 and r.headers["Content-Type"] == expected


def test_benchmark_exports(client, user, fake_llm):
    run = with_levels(user, perf_helpers.known_model(user, fake_llm), (1, 4))
    assert client.get(f"/perf/{run.id}/export.csv").headers["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get(f"/perf/{run.id}/export.json").headers["Content-Type"] == "application/json"
