"""A person uploads a CSV, previews it filtered by subset, and edits a row in the page."""
import pytest
from playwright.sync_api import expect

from tests.datasets_helpers import MCQ_ROWS, csv_bytes
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def test_upload_preview_by_subset_and_edit_a_row(page, make_user, tmp_path):
    make_user("dora", password="dataset-pass-1")
    path = tmp_path / "quiz.csv"
    path.write_bytes(csv_bytes(MCQ_ROWS))
    sign_in(page, "dora", "dataset-pass-1")

    page.get_by_role("link", name="Datasets", exact=True).click()
    page.get_by_role("link", name="Upload a dataset").click()
    page.get_by_label("Name", exact=True).fill("Browser quiz")
    page.get_by_label("Format", exact=True).select_option("mcq")
    page.get_by_label("File (JSONL, JSON array, CSV or XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Dataset Browser quiz uploaded: 4 rows.")).to_be_visible()
    expect(page.get_by_role("heading", name="Browser quiz")).to_be_visible()

    page.get_by_label("Subset", exact=True).select_option("geo")
    page.get_by_role("button", name="Filter").click()
    preview = page.locator("table[data-preview] tbody tr")
    expect(preview).to_have_count(2)
    expect(page.locator('tr[data-row="q3"]')).to_be_visible()
    expect(page.locator('tr[data-row="q1"]')).to_have_count(0)

    page.get_by_role("link", name="Edit row q3").click()
    expect(page.get_by_label("Question")).to_have_value("Capital of France?")
    page.get_by_label("Question").fill("What is the capital of France?")
    page.get_by_role("button", name="Save row").click()
    expect(page.get_by_text("Row q3 saved in version 2.")).to_be_visible()
    expect(page.locator('tr[data-row="q3"]')).to_contain_text("What is the capital of France?")
    expect(preview).to_have_count(2)  # back on the filtered preview
    expect(page.get_by_text("version 2", exact=True)).to_be_visible()

    page.get_by_label("Version", exact=True).select_option("1")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('tr[data-row="q3"]')).to_contain_text("Capital of France?")
