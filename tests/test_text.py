"""bot.conversation.text: what a screen reader hears must be words, in listenable pieces."""
import re
import unicodedata

import pytest

from bot.conversation.text import plain, split_message


def _squash(text: str) -> str:
    return re.sub(r"\s", "", text)


# --- split_message -------------------------------------------------------------------------

def test_short_text_is_one_part():
    assert split_message("您可以申请护理补贴。") == ["您可以申请护理补贴。"]


def test_empty_text_gives_no_parts():
    assert split_message("") == []
    assert split_message(" \n ") == []


def test_long_text_is_cut_at_sentence_ends_and_nothing_is_lost():
    sentences = [f"第{i}句话说明一项条件，经办部门会审核材料。" for i in range(60)]
    text = "".join(sentences)
    parts = split_message(text, limit=100)
    assert len(parts) > 1
    assert all(len(p) <= 100 for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_every_sentence_end_counts():
    parts = split_message("可以吗？可以！先办证；再申请。\n第二段", limit=8)
    assert parts == ["可以吗？可以！", "先办证；再申请。", "第二段"]


def test_closing_quote_stays_with_its_sentence():
    parts = split_message("他说“可以申请。”然后去了街道。", limit=10)
    assert parts[0] == "他说“可以申请。”"


def test_overlong_sentence_is_cut_at_clauses():
    sentence = "，".join(["条件" * 10] * 6) + "。"  # 126 characters, one sentence
    parts = split_message(sentence, limit=50)
    assert all(len(p) <= 50 for p in parts)
    assert all(p.endswith("，") for p in parts[:-1])
    assert "".join(parts) == sentence


def test_clause_longer_than_limit_is_cut_hard_but_not_inside_a_character():
    text = "e\u0301" * 30  # e + combining acute, 60 code points, no punctuation
    parts = split_message(text, limit=7)
    assert "".join(parts) == text
    assert all(len(p) <= 7 for p in parts)
    assert not any(unicodedata.combining(p[0]) for p in parts)


def test_whitespace_at_cuts_is_the_only_loss():
    text = "第一段。\n\n第二段很长很长。\n第三段。"
    parts = split_message(text, limit=9)
    assert all(p == p.strip() and p for p in parts)
    assert _squash("".join(parts)) == _squash(text)


def test_default_limit_is_500():
    text = "一句话。" * 300
    parts = split_message(text)
    assert all(len(p) <= 500 for p in parts) and len(parts) == 3


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        split_message("x", limit=0)


# --- plain ---------------------------------------------------------------------------------

def test_markdown_is_stripped():
    text = "## 结论\n**可以申请**护理补贴，_需要_ 提交 `残疾人证`。\n- 第一条\n* 第二条\n> 引用\n---"
    assert plain(text) == "结论\n可以申请护理补贴，需要 提交 残疾人证。\n第一条\n第二条\n引用"


def test_code_fences_and_links():
    assert plain("```text\n低保\n```") == "低保"
    assert plain("见[民政部通知](https://example.org/a)") == "见民政部通知（https://example.org/a）"


def test_html_is_stripped_and_entities_decoded():
    assert plain("<b>可以</b>申请<br>材料&amp;证件") == "可以申请\n材料&证件"


def test_comparison_signs_are_not_taken_for_tags():
    assert plain("年龄<18岁且>6岁") == "年龄<18岁且>6岁"


def test_emoji_and_decoration_are_removed():
    text = "✅ 符合条件 👍🏽！👨‍👩‍👧 家庭 ★重要★ ❤️ 1️⃣ 🇨🇳"
    assert plain(text) == "符合条件 ！ 家庭 重要 1"


def test_meaningful_symbols_and_chinese_punctuation_stay():
    text = "标准：每月100元（2024年）；面积30㎡，室温20℃。“可以”、《通知》【注意】——请核实…"
    assert plain(text) == text


def test_arithmetic_and_identifiers_keep_their_marks():
    assert plain("2*3*4 和 snake_case_name") == "2*3*4 和 snake_case_name"


def test_whitespace_is_collapsed():
    assert plain("  可以\t\t申请  \n\n\n\n下一段  ") == "可以 申请\n\n下一段"
