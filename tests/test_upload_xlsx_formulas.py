"""An XLSX whose formulas were saved without their results (openpyxl and other scripts write such files) is refused
naming the sheet row and the column; a formula saved with its result (as Excel and LibreOffice save) reads as it."""
import io

import openpyxl
import sqlalchemy as sa

from app.extensions import db
from app.models import Dataset, DatasetVersion
from app.services.datasets import iter_rows
from tests.datasets_helpers import stored_counts, upload_api, upload_page
from tests.hostile_files import NS, SHEET, rezip

HINT = "open the file in a spreadsheet app and save it, or paste the values"


def formulas_without_results() -> bytes:
    """Three data rows; the middle one (sheet row 3) holds only formulas, which openpyxl saves with no result."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["question", "answer"])
    sheet.append(["Who wrote Hamlet?", "Shakespeare"])
    sheet.append(['=CONCAT("a","b")', "=2+2"])
    sheet.append(["Capital of France?", "Paris"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def nothing_stored() -> None:
    assert stored_counts() == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DatasetVersion)) == 0


def test_the_upload_page_refuses_formulas_without_results_naming_row_and_columns(client, user):
    r = upload_page(client, formulas_without_results(), "formulas.xlsx", fmt="qa")
    page = r.data.decode()
    assert r.status_code == 422, page[:2000]
    assert f"row 3: formulas with no saved value in columns question, answer — {HINT}" in page
    assert "Dataset uploaded" not in page
    nothing_stored()


def test_the_api_refuses_them_with_a_422_naming_the_row(client, user, api_headers):
    r = upload_api(client, api_headers(user), formulas_without_results(), "formulas.xlsx", fmt="qa")
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "invalid_file" and error["message"] == "1 problem; nothing was stored."
    assert error["fields"]["file"] == [f"row 3: formulas with no saved value in columns question, answer — {HINT}"]
    nothing_stored()


def sheet_of(*rows: str) -> bytes:
    body = "".join(f'<row r="{n}">{cells}</row>' for n, cells in enumerate(rows, 1))
    return rezip({SHEET: f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{body}</sheetData>'
                         f'</worksheet>'.encode()})


HEADER = ('<c r="A1" t="inlineStr"><is><t>question</t></is></c><c r="B1" t="inlineStr"><is><t>answer</t></is></c>'
          '<c r="C1" t="inlineStr"><is><t>context</t></is></c>')


def test_formulas_saved_with_their_results_read_as_those_results(client, user):
    """As Excel saves them: a text result is t="str" (an empty <v> there is the empty text), a number plain."""
    content = sheet_of(HEADER,
                       '<c r="A2" t="str"><f>CONCAT("a","b")</f><v>ab</v></c><c r="B2"><f>2+2</f><v>4</v></c>'
                       '<c r="C2" t="str"><f>""</f><v></v></c>')
    r = upload_page(client, content, "saved.xlsx", fmt="qa")
    assert r.status_code == 302, r.data.decode()[:2000]
    (dataset_row,) = list(iter_rows(db.session.scalars(sa.select(Dataset)).one(), 1))
    assert (dataset_row["question"], dataset_row["answer"]) == ("ab", "4")
    assert "context" not in dataset_row


def test_one_unsaved_formula_names_its_column_and_an_unnamed_column_is_ignored(client, user):
    content = sheet_of(HEADER,
                       '<c r="A2" t="inlineStr"><is><t>Two and two?</t></is></c><c r="B2"><f>2+2</f><v></v></c>'
                       '<c r="D2"><f>1+1</f></c>',
                       '<c r="A3" t="inlineStr"><is><t>Ok?</t></is></c><c r="B3" t="inlineStr"><is><t>yes</t></is></c>'
                       '<c r="D3"><f>1+1</f></c>')
    r = upload_page(client, content, "one.xlsx", fmt="qa")
    page = r.data.decode()
    assert r.status_code == 422 and f"row 2: a formula with no saved value in column answer — {HINT}" in page
    assert "row 3" not in page
    nothing_stored()


def test_a_column_name_that_is_an_unsaved_formula_is_refused(client, user):
    content = sheet_of('<c r="A1" t="inlineStr"><is><t>question</t></is></c><c r="B1"><f>"ans"&amp;"wer"</f></c>',
                       '<c r="A2" t="inlineStr"><is><t>q</t></is></c><c r="B2" t="inlineStr"><is><t>a</t></is></c>')
    r = upload_page(client, content, "header.xlsx", fmt="qa")
    assert r.status_code == 422, r.data.decode()[:2000]
    assert "row 1, column B: the column name is a formula with no saved value" in r.data.decode()
    nothing_stored()
