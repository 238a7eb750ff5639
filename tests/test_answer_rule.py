"""EvalHub's answer rule and judge-verdict reader, as pure functions (both engines score with them)."""
import pytest

from app.engines.answer_rule import extract_letters, rule_sample
from app.engines.drivers.judge_verdict import verdict
from app.services.judging import prompts
from tests.answer_rule_cases import CASES


@pytest.mark.parametrize(("subset", "reply", "gold", "extracted", "score"), CASES)
def test_rule_reads_each_reply_style(subset, reply, gold, extracted, score):
    got = rule_sample(reply, list("ABCD"), gold, multiple=subset == "multi")
    assert got == {"extracted": extracted, "score": score, "verdict": "correct" if score == 1.0 else "wrong"}


def test_the_table_covers_every_gold_letter_both_languages_and_both_outcomes():
    assert len(CASES) >= 30
    singles = [c for c in CASES if c[0] == "single"]
    assert {c[2] for c in singles} == set("ABCD")
    assert {c[4] for c in singles} == {0.0, 1.0} and {c[4] for c in CASES if c[0] == "multi"} == {0.0, 0.5, 1.0}
    assert any("答案" in c[1] for c in CASES) and any(c[3] is None for c in CASES)


def test_a_letter_that_is_not_an_option_is_no_answer():
    assert extract_letters("The answer is D.", ["A", "B", "C"], multiple=False) is None
    assert extract_letters("", list("ABCD"), multiple=False) is None
    assert extract_letters(None, list("ABCD"), multiple=True) is None


JUDGE_REPLIES = {
    "A": "A", "B.": "B", "(B)": "B", "A: CORRECT": "A", '{"reasoning": "Both say B.", "verdict": "A"}': "A",
    '```json\n{"reasoning": "It names another city.", "verdict": "B"}\n```': "B",
    '{"verdict": "INCORRECT"}': "B", "CORRECT": "A", "INCORRECT": "B", "The answer is INCORRECT.": "B",
    "<think>A? or B? Probably A.</think>\nB": "B", "<think>cut off while thinking about A": None,
    "<think>Is it wrong? No.</think> CORRECT": "A", "A careful reading shows it differs, so B": "B",
    "正确": "A", "错误": "B", "判断：不正确": "B", "Verdict: A": "A", "no idea": None, "": None, None: None,
    # replies a tester's judges gave, read as "correct" before: a "not" and the article "A" are no verdict of A
    "The predicted answer is not correct.": "B", "A careful check shows the prediction is wrong.": "B",
    "It isn't right.": "B", "This is not incorrect.": "A", "A close match: CORRECT": "A",
}


def _echo(prompt: str) -> str:
    return prompts.fill(prompt, "Capital of France?", "Paris", "Lyon")


@pytest.mark.parametrize("name", ["default", "compassverifier"])
def test_a_judge_that_repeats_its_prompt_gives_no_verdict(name):
    echo = _echo(prompts.resolve(name))  # its option list ("A: CORRECT … B: INCORRECT") is no verdict
    assert verdict(echo) is None
    assert verdict(echo + '\n{"reasoning": "Lyon is not Paris.", "verdict": "B"}') == "B"  # a verdict after it counts


@pytest.mark.parametrize(("reply", "letter"), JUDGE_REPLIES.items())
def test_judge_verdict_reader(reply, letter):
    assert verdict(reply) == letter


def test_a_runs_error_lines_carry_no_colour_codes(tmp_path):
    from app.engines.eval_inputs import last_error
    (tmp_path / "engine.log").write_text("ok\n\x1b[31mERROR\x1b[0m judge failed: \x1b[1mparse_error\x1b[0m\n")
    assert last_error(tmp_path) == "ERROR judge failed: parse_error"
