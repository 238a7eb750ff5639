"""The evaluation form on a phone: a searchable dataset picker; every field survives a validation error."""
import pytest
from playwright.sync_api import expect

from tests import evals_helpers as h
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def _setup(make_user, fake_llm, n_extra=14):
    user = make_user("fay", password="fay-pass-123")
    h.model(user, fake_llm, "Form model", "form-model", reply=h.mcq_reply)
    h.dataset(user, h.mcq_rows(), "mcq", "Arithmetic quiz")
    for i in range(n_extra):
        h.dataset(user, h.mcq_rows(2), "mcq", f"Other set {i:02d}")


def _fieldset(page, name):
    return page.locator("fieldset[data-dataset]").filter(has_text=name)


def test_the_dataset_picker_searches_and_shows_subsets_of_chosen_datasets_only(phone, make_user, fake_llm):
    _setup(make_user, fake_llm)
    sign_in(phone, "fay", "fay-pass-123")
    phone.goto("/evals/new")
    expect(phone.locator("#dataset-count")).to_have_text("15 of 15 datasets shown · 0 chosen")
    expect(phone.get_by_label("arith (6)")).to_be_hidden()  # no wall of subset checkboxes
    phone.get_by_placeholder("Search datasets").fill("arith")
    expect(phone.locator("#dataset-count")).to_have_text("1 of 15 datasets shown · 0 chosen")
    expect(_fieldset(phone, "Other set 03")).to_be_hidden()
    _fieldset(phone, "Arithmetic quiz").locator("input[name=dataset_id]").check()
    expect(phone.get_by_label("arith (6)")).to_be_visible()
    phone.get_by_label("logic (4)").check()
    expect(phone.locator("#request-estimate")).to_contain_text("about 4 model requests")
    phone.get_by_placeholder("Search datasets").fill("other 03")
    expect(phone.locator("#dataset-count")).to_have_text("2 of 15 datasets shown · 1 chosen")  # chosen stays
    box = phone.get_by_label("logic (4)").bounding_box()
    assert abs(box["width"] - box["height"]) < 1 and box["width"] > 0
    radius = phone.get_by_label("logic (4)").evaluate("el => parseFloat(getComputedStyle(el).borderTopLeftRadius)")
    assert radius < box["width"] / 3, "checkboxes are squares with rounded corners, not circles"


def test_the_evaluation_form_keeps_every_field_after_a_validation_error(phone, make_user, fake_llm):
    _setup(make_user, fake_llm, n_extra=2)
    sign_in(phone, "fay", "fay-pass-123")
    phone.goto("/evals/new")
    phone.get_by_label("Model to evaluate").select_option(label="Form model (form-model)")
    _fieldset(phone, "Arithmetic quiz").locator("input[name=dataset_id]").check()
    phone.get_by_label("logic (4)").check()
    fs = _fieldset(phone, "Arithmetic quiz")
    fs.locator("select[name^=split-]").select_option("test")
    fs.locator("input[name^=limit-]").fill("3")
    for label, value in (("Temperature", "0.7"), ("Max tokens", "256"), ("top_p", "0.9"),
                         ("Time limit (minutes)", "30")):
        phone.get_by_label(label, exact=True).fill(value)
    phone.get_by_label("Concurrency").fill("20")  # above the model's limit (8): refused
    phone.get_by_role("button", name="Start evaluation").click()
    expect(phone.locator("#concurrency-error").get_by_text("allows at most")).to_be_visible()
    expect(phone.get_by_label("Model to evaluate")).to_have_value(
        phone.get_by_label("Model to evaluate").locator("option", has_text="Form model").get_attribute("value"))
    fs = _fieldset(phone, "Arithmetic quiz")
    expect(fs.locator("input[name=dataset_id]")).to_be_checked()
    expect(phone.get_by_label("logic (4)")).to_be_checked()
    expect(fs.locator("select[name^=split-]")).to_have_value("test")
    expect(fs.locator("input[name^=limit-]")).to_have_value("3")
    for label, value in (("Temperature", "0.7"), ("Max tokens", "256"), ("top_p", "0.9"),
                         ("Time limit (minutes)", "30")):
        expect(phone.get_by_label(label, exact=True)).to_have_value(value)
    expect(phone.locator("#concurrency")).to_have_value("20")  # its label now carries the error too
    expect(phone.locator("#request-estimate")).to_contain_text("about 3 model requests")
