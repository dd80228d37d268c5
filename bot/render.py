"""Verdicts as accessible plain text: the conclusion first, short sentences, no symbols.

Shared by the caseworker's command line, the chat and Telegram, so that a verdict reads the same
everywhere. Nothing here uses Markdown, tables, emoji or decorative symbols: screen readers read
every character aloud.
"""
from __future__ import annotations

from rules.explain import grade_zh, zh_date  # noqa: F401  (grade_zh re-exported for the chat)
from rules.facts import FACTS

LIMIT = 500
# What a person wants to hear first: what they can get, then what the office decides, then what
# still needs asking, then the rest.
VERDICT_ORDER = {"eligible": 0, "refer": 1, "need_info": 2, "ineligible": 3}


def _title(program: str) -> str:
    from rules.model import load_programs

    return load_programs()[program].title


def headline(result: dict) -> str:
    """The verdict in one sentence."""
    title = _title(result["program"])
    verdict = result["verdict"]
    if verdict == "eligible":
        return f"{title}：按规定符合条件。最后由经办部门审核决定。"
    if verdict == "ineligible":
        return f"{title}：按规定不符合条件。"
    if verdict == "refer":
        return f"{title}：要由当地决定，需要向当地询问。"
    missing = "、".join(FACTS[f].label for f in result.get("missing", [])[:3])
    return f"{title}：还需要知道{missing}，才能判断。"


def figures(details: dict) -> list[str]:
    """The figures of a result in plain sentences: an amount with the day it took effect (or the day of
    the page that states it) and what kind of page that is; the months of a 渐退期."""
    out = []
    if "amount_yuan_per_month" in details:
        out.append(f"标准是每人每月{details['amount_yuan_per_month']}元。")
    elif details.get("amount_options"):
        tiers = "，".join(f"{o['label']}的每人每月{o['yuan_per_month']}元" for o in details["amount_options"])
        out.append(f"标准分档：{tiers}。")
    elif details.get("amount_rule"):
        out.append(f"标准：{details['amount_rule']}，具体金额请问当地。")
    when = details.get("amount_as_of")
    if when and any(k in details for k in ("amount_yuan_per_month", "amount_options", "amount_rule")):
        from knowledge.sources import SOURCE_KINDS

        if details.get("amount_date_kind") == "stated_on":
            dated = f"这是{zh_date(when)}的文件或网页上写的，从哪天起执行没有写明"
        else:
            dated = f"这是{zh_date(when)}起执行的"
        source = details.get("amount_source")
        kind = SOURCE_KINDS.get(details.get("amount_source_kind"), "")
        out.append(dated + (f"，出处是{source}" if source else "") + (f"，依据的是{kind}" if kind else "")
                   + "。之后可能调整过，以当地最新公布的为准。")
    phase = details.get("phase")
    if phase == "full":
        out.append("现在是渐退期的前一阶段，低保待遇不变。")
    elif phase == "half":
        out.append("现在是渐退期的后一阶段，按一半发放。")
    if details.get("months_left") and details.get("months_total"):
        out.append(f"渐退期一共{details['months_total']}个月，还剩{details['months_left']}个月。")
    if "months_max" in details and "months_total" not in details:
        out.append(f"国家规定渐退期原则上不超过{details['months_max']}个月。")
    return out


def source_line(source: dict) -> str:
    return f"依据：{source['title']}{source['section']}，原文：“{source['quote']}”。"


def render_result(result: dict, with_sources: bool = True, with_apply: bool = True) -> str:
    """One programme's answer as one or more short paragraphs (each under LIMIT characters)."""
    lines = [headline(result)]
    reasons = result.get("reasons", [])
    # need_info: the headline already says what is missing; the engine's first reason says it again
    lines += reasons[1:] if result["verdict"] == "need_info" else reasons
    lines += figures(result.get("details", {}))
    if with_sources and result.get("sources"):
        lines.append(source_line(result["sources"][0]))
    if with_apply and result["verdict"] in ("eligible", "refer") and result.get("details", {}).get("apply"):
        lines.append("怎么申请：" + result["details"]["apply"])
    return "\n".join(lines)


def render_report(report: dict, with_sources: bool = True) -> str:
    """Every programme of a check, most useful first: what they can get, then what needs asking."""
    results = sorted(report["results"], key=lambda r: VERDICT_ORDER[r["verdict"]])
    return "\n\n".join(render_result(r, with_sources) for r in results)
