"""Online editing through the pages: versions, validation, conflicts, subsets, preview, export, permissions."""
import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Dataset
from app.services.datasets import iter_rows, versions
from tests.datasets_helpers import current_row, make_dataset, upload_page

ROW_FORM = {"id": "q1", "subset": "math", "split": "test", "question": "What is 2 + 3?", "A": "3", "B": "4",
            "C": "5", "D": "22", "answer": "C"}


def test_an_edit_bumps_the_version_and_the_older_rows_stay_readable(client, user):
    dataset = make_dataset(user)
    row = current_row(dataset, "q1")
    r = client.post(f"/datasets/{dataset.id}/rows/{row.id}/edit", data=ROW_FORM)
    assert r.status_code == 302
    assert dataset.current_version == 2 and dataset.dataset_info["rows"] == 4
    old, new = next(iter_rows(dataset, 1)), next(iter_rows(dataset, 2))
    assert old["question"] == "What is 2 + 2?" and old["answer"] == "B"
    assert new["question"] == "What is 2 + 3?" and new["answer"] == "C" and new["id"] == "q1"
    assert "What is 2 + 2?" in client.get(f"/datasets/{dataset.id}?version=1").data.decode()
    page = client.get(f"/datasets/{dataset.id}").data.decode()
    assert "What is 2 + 3?" in page and "What is 2 + 2?" not in page
    assert [x["id"] for x in iter_rows(dataset, 2)] == ["q1", "q2", "q3", "q4"]  # same position
    assert db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "dataset.edit")).all()


def test_the_edit_form_shows_the_row_and_saving_nothing_new_makes_no_version(client, user):
    dataset = make_dataset(user)
    row = current_row(dataset, "q4")
    page = client.get(f"/datasets/{dataset.id}/rows/{row.id}/edit").data.decode()
    assert "Which are in Europe?" in page and 'value="A,C"' not in page and "A,C" in page
    data = {**row.record(), "next": f"/datasets/{dataset.id}?page=1"}
    r = client.post(f"/datasets/{dataset.id}/rows/{row.id}/edit", data=data)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/datasets/{dataset.id}?page=1")
    assert dataset.current_version == 1


def test_an_invalid_edit_is_refused_and_changes_nothing(client, user):
    dataset = make_dataset(user)
    row = current_row(dataset, "q1")
    r = client.post(f"/datasets/{dataset.id}/rows/{row.id}/edit", data={**ROW_FORM, "answer": "F"})
    assert r.status_code == 422
    assert "answer letter F is not among the options (A–D)" in r.data.decode()
    r = client.post(f"/datasets/{dataset.id}/rows/{row.id}/edit", data={**ROW_FORM, "id": "q2"})
    assert r.status_code == 422 and "Another row already has the id q2." in r.data.decode()
    assert dataset.current_version == 1


def test_a_stale_edit_is_a_conflict(client, user):
    dataset = make_dataset(user)
    row_id = current_row(dataset, "q1").id
    client.post(f"/datasets/{dataset.id}/rows/{row_id}/edit", data=ROW_FORM)
    r = client.post(f"/datasets/{dataset.id}/rows/{row_id}/edit", data={**ROW_FORM, "question": "Late?"})
    assert r.status_code == 302
    assert "changed or deleted in the meantime" in client.get(r.headers["Location"]).data.decode()
    assert dataset.current_version == 2
    with pytest.raises(versions.RowConflict):
        versions.delete_row(dataset, row_id, user)


def test_add_and_delete_rows_make_versions(client, user):
    dataset = make_dataset(user)
    r = client.post(f"/datasets/{dataset.id}/rows/new", data={**ROW_FORM, "id": "", "subset": "new",
                                                               "question": "Added?"})
    assert r.status_code == 302 and dataset.current_version == 2
    added = [x for x in iter_rows(dataset, 2)][-1]
    assert added["id"] == "5" and added["subset"] == "new" and added["question"] == "Added?"
    client.post(f"/datasets/{dataset.id}/rows/{current_row(dataset, 'q2').id}/delete")
    assert dataset.current_version == 3
    assert [x["id"] for x in iter_rows(dataset, 3)] == ["q1", "q3", "q4", "5"]
    assert [x["id"] for x in iter_rows(dataset, 1)] == ["q1", "q2", "q3", "q4"]
    assert dataset.dataset_info["rows"] == 4 and dataset.dataset_info["subsets"]["new"] == 1
    page = client.get(f"/datasets/{dataset.id}").data.decode()
    assert "Deleted row q2" in page and "Added row 5" in page


def test_rename_a_subset(client, user):
    dataset = make_dataset(user)
    r = client.post(f"/datasets/{dataset.id}/subsets/rename", data={"old": "geo", "new": "geography"})
    assert r.status_code == 302 and dataset.current_version == 2
    assert dataset.dataset_info["subsets"] == {"geography": 2, "math": 2}
    assert [x["subset"] for x in iter_rows(dataset, 2, subsets=["geography"])] == ["geography", "geography"]
    assert [x["id"] for x in iter_rows(dataset, 1, subsets=["geo"])] == ["q3", "q4"]
    client.post(f"/datasets/{dataset.id}/subsets/rename", data={"old": "math", "new": "geography"})
    assert dataset.current_version == 2  # merging into an existing subset is refused


def test_preview_filters_by_subset_split_and_search_and_paginates(client, user):
    rows = [{"id": f"r{i}", "subset": "even" if i % 2 == 0 else "odd", "split": "dev" if i < 10 else "test",
             "question": f"Question {i} {'needle' if i % 7 == 0 else ''}", "answer": str(i)} for i in range(60)]
    dataset = make_dataset(user, rows=rows, fmt="qa")
    base = f"/datasets/{dataset.id}"
    page = client.get(f"{base}?subset=odd&split=test").data.decode()
    assert "(25 matching rows)" in page and 'data-row="r11"' in page and 'data-row="r10"' not in page
    assert 'data-row="r1"' not in page  # a dev row
    page = client.get(f"{base}?q=NEEDLE").data.decode()
    assert "(9 matching rows)" in page and 'data-row="r49"' in page and 'data-row="r1"' not in page
    last = client.get(f"{base}?page=3").data.decode()
    assert 'data-row="r59"' in last and 'data-row="r49"' not in last and "Page 3 of 3" in last
    assert f"{base}?page=2" in last  # pagination links keep the dataset
    assert 'data-row="r59"' in client.get(f"{base}?page=99").data.decode()  # past the end: the last page
    assert client.get(f"{base}?version=7").status_code == 404


def test_export_any_version_as_jsonl_and_csv(client, user):
    dataset = make_dataset(user)
    client.post(f"/datasets/{dataset.id}/rows/{current_row(dataset, 'q1').id}/edit", data=ROW_FORM)
    r = client.get(f"/datasets/{dataset.id}/export?version=1&format=jsonl")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    assert "Fixture-set-v1.jsonl" in r.headers["Content-Disposition"]
    lines = [json.loads(x) for x in r.data.decode().splitlines()]
    assert lines[0]["question"] == "What is 2 + 2?" and len(lines) == 4
    r = client.get(f"/datasets/{dataset.id}/export?format=csv")
    rows = list(csv.DictReader(io.StringIO(r.data.decode())))
    assert list(rows[0]) == ["id", "subset", "split", "question", "A", "B", "C", "D", "answer", "explanation"]
    assert rows[0]["question"] == "What is 2 + 3?" and rows[3]["answer"] == "A,C"
    assert client.get(f"/datasets/{dataset.id}/export?format=xml").status_code == 404
    assert upload_page(client, r.data, "again.csv", name="Round trip").status_code == 302
    copy = db.session.scalar(sa.select(Dataset).where(Dataset.name == "Round trip"))
    assert list(iter_rows(copy, 1)) == list(iter_rows(dataset, 2))


def test_users_are_isolated(client, auth, make_user, user):
    dataset = make_dataset(user, name="Alice only")
    row = current_row(dataset, "q1")
    make_user("bob")
    auth.logout()
    auth.login("bob")
    assert "Alice only" not in client.get("/datasets/").data.decode()
    for path in (f"/datasets/{dataset.id}", f"/datasets/{dataset.id}/export", f"/datasets/{dataset.id}/rows/new",
                 f"/datasets/{dataset.id}/rows/{row.id}/edit"):
        assert client.get(path).status_code == 404, path
    for path in (f"/datasets/{dataset.id}/rows/{row.id}/edit", f"/datasets/{dataset.id}/rows/{row.id}/delete",
                 f"/datasets/{dataset.id}/subsets/rename", f"/datasets/{dataset.id}/delete"):
        assert client.post(path, data={**ROW_FORM, "old": "geo", "new": "x"}).status_code == 404, path
    assert dataset.current_version == 1 and dataset.deleted_at is None


def test_system_datasets_are_read_only_for_non_admins(client, auth, make_user, user):
    admin = make_user("root", role="admin")
    dataset = make_dataset(admin, name="Shared", system=True)
    row = current_row(dataset, "q1")
    page = client.get(f"/datasets/{dataset.id}").data.decode()
    assert "What is 2 + 2?" in page and "Add a row" not in page and "Delete dataset" not in page
    assert client.get(f"/datasets/{dataset.id}/rows/{row.id}/edit").status_code == 403
    assert client.post(f"/datasets/{dataset.id}/rows/{row.id}/edit", data=ROW_FORM).status_code == 403
    assert client.post(f"/datasets/{dataset.id}/delete").status_code == 403
    assert dataset.current_version == 1
    auth.logout()
    auth.login("root")
    assert client.post(f"/datasets/{dataset.id}/rows/{row.id}/edit", data=ROW_FORM).status_code == 302
    assert dataset.current_version == 2


def test_delete_hides_the_dataset_but_pinned_rows_stay_readable(client, user):
    dataset = make_dataset(user, name="Doomed")
    assert client.post(f"/datasets/{dataset.id}/delete").status_code == 302
    assert 'data-dataset="Doomed"' not in client.get("/datasets/").data.decode()
    assert client.get(f"/datasets/{dataset.id}").status_code == 404
    assert len(list(iter_rows(dataset, 1))) == 4
    assert upload_page(client, b'{"question": "q", "answer": "a"}\n', "a.jsonl", name="Doomed",
                       fmt="qa").status_code == 302  # the name is free again
