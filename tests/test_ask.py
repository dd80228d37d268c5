"""`zhucan ask`: the engine's own question loop in the terminal, without a model."""
import io
from datetime import date

from bot.ask import QUESTIONS, ask_loop


def ask(lines: str, programs=None) -> str:
    out = io.StringIO()
    assert ask_loop(date(2024, 6, 1), programs, stdin=io.StringIO(lines), stdout=out) == 0
    return out.getvalue()


def test_asks_only_what_the_programme_needs_then_answers():
    said = ask("有\n是\n一级\n", ["care_subsidy"])
    assert said.count(QUESTIONS["needs_long_term_care"]) == 1
    # every place answers a first-grade, cared-for holder alike: where they live is not asked
    for fact in ("region", "household", "age"):
        assert QUESTIONS[fact] not in said
    assert "重度残疾人护理补贴：按规定符合条件" in said


def test_a_bad_answer_gets_the_words_the_question_offers_and_is_asked_again():
    said = ask("太原\n也许吧\n", ["living_subsidy"])
    assert "没听明白。请回答 有 或 没有。" in said


def test_dont_know_skips_the_question_and_the_answer_says_who_can_tell():
    said = ask("不知道\n都不是\n太原\n", ["living_subsidy"])
    assert said.count(QUESTIONS["has_certificate"]) == 1
    assert "还需要知道" in said or "按规定不符合" in said
    assert "您说不清楚的：是否持有残疾人证。" in said and "县级残联" in said
