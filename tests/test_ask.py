"""`zhucan ask`: the engine's own question loop in the terminal, without a model, reading replies the
way the chat does (bot.conversation.questions.reply)."""
import io
from datetime import date

from bot.caseworker.ask import ask_loop
from bot.conversation.questions import question


def ask(lines: str, programs=None) -> str:
    out = io.StringIO()
    assert ask_loop(date(2024, 6, 1), programs, stdin=io.StringIO(lines), stdout=out) == 0
    return out.getvalue()


def q(fact: str, again: bool = False) -> str:
    return question(fact, again)[0]


def test_asks_only_what_the_programme_needs_then_answers():
    said = ask("有\n是\n一级\n太原\n", ["care_subsidy"])
    assert said.count(q("needs_long_term_care")) == 1
    # where they live is asked once the facts leave places apart (山东 pays grade 1 of some categories
    # only); what the care subsidy never turns on is not asked
    for fact in ("household", "age"):
        assert q(fact) not in said
    assert "按规定能领：护理补贴" in said and "重度残疾人护理补贴：按规定符合条件" in said


def test_replies_in_peoples_own_words():
    said = ask("证在家里放着呢\n得有人伺候\n一级\n太原\n", ["care_subsidy"])
    assert "按规定能领：护理补贴" in said


def test_an_unreadable_reply_gets_the_numbered_question_once_then_is_skipped():
    said = ask("太原\n也许吧\n啊这\n", ["living_subsidy"])
    assert "没听明白。" in said and q("has_certificate", again=True) in said and "1 有，2 没有，3 不知道" in said
    assert "是否持有残疾人证这一项先跳过，不当作没有" in said
    assert said.count("有没有残疾人证？") == 2  # never a third time


def test_a_number_answers_with_the_option_it_stands_for():
    said = ask("1\n1\n", ["living_subsidy"])  # 1: 有 (a certificate), 1: 低保
    assert "按规定能领：生活补贴" in said


def test_dont_know_skips_the_question_and_the_answer_says_who_can_tell():
    said = ask("不知道\n低保\n太原\n", ["living_subsidy"])
    assert said.count(q("has_certificate")) == 1
    assert "生活补贴还要知道是否持有残疾人证" in said
    assert "您说不清楚的：是否持有残疾人证。" in said and "县级残联" in said


def test_a_whole_story_given_as_the_first_reply_is_read_whole():
    """A family member answers the first question with the whole story; the clause about their own
    household ("我们家没低保") is one fact among the others, not the only one read."""
    story = ("我妈今年六十八了 前年中风 现在半边身子不能动 一直躺着 办了残疾证二级的 "
             "户口在太原小店区 我们家没低保 能领什么\n")
    said = ask(story, ["care_subsidy"])
    assert said.count(q("has_certificate")) == 1  # the first question, answered by the story
    for fact in ("disability_grade", "needs_long_term_care", "region", "age"):
        assert q(fact) not in said
    assert "按规定能领：护理补贴" in said


def test_a_correction_of_another_fact_is_said_back_and_is_not_a_no_to_the_question_asked():
    # "一级" answers no question asked (it is kept); "不对…是二级" corrects it: said back, and its 不对
    # is not "no care needed". The care question, asked twice without an answer, is left open.
    said = ask("有\n一级\n不对 刚才说错了 是二级\n太原\n不知道\n", ["care_subsidy"])
    assert "好的，已改为：残疾等级为二级。" in said
    assert "不需要长期照护" not in said  # the 不对 of the correction is no answer to the care question
    assert 1 <= said.count("是否因为残疾需要长期有人照护") <= 2  # asked, never a third time


def test_a_confirmation_is_answered_by_its_number_or_in_words():
    from bot.conversation.questions import reply

    asked = {"disability_category": "physical"}  # "您说的是肢体残疾吗？请回答 是 或 不是。"
    for said in ("1", "对的", "嗯，是", "好像是"):
        assert reply(said, "disability_category", {}, 1, asked).set == {"disability_category": "physical"}, said
    for said in ("2", "不是", "不是很清楚", "父母都不在了"):
        turn = reply(said, "disability_category", {}, 1, asked)
        assert "disability_category" not in turn.set and turn.skip == ["disability_category"], said
    assert reply("不是，是视力", "disability_category", {}, 1, asked).set == {"disability_category": "vision"}
