"""Verdicts as accessible plain text: the conclusion first, short sentences, no symbols.

Shared by the caseworker's command line, the chat, Telegram and WeChat, so that a verdict reads the same
everywhere. Nothing here uses Markdown, tables, emoji or decorative symbols: screen readers read
every character aloud.

An answer for a person (`render_answer`) comes in this order, because a screen-reader user listens to
all of it: one short message that says what they can get (with the amount where a source gives it),
what the office decides and what is still needed (`summary`, at most SUMMARY_LIMIT characters); then
one explanation with its source for each programme that applies or is open, most useful first; then
one sentence naming the programmes that plainly do not apply, or were not asked about, with how to
hear why ("详细").
"""
from __future__ import annotations

import re
from datetime import date

from rules.explain import grade_zh, zh_date  # noqa: F401  (grade_zh re-exported for the chat)
from rules.facts import FACTS

LIMIT = 500
SUMMARY_LIMIT = 150
OLD_FIGURE_YEARS = 3  # a figure stated this many years ago or more is said to be probably out of date
DETAILS = "详细"
APPLY = "怎么申请"
REFUSED = "不给批怎么办"
# What a person wants to hear first: what they can get, then what the office decides, then what
# still needs asking, then the rest.
VERDICT_ORDER = {"eligible": 0, "refer": 1, "need_info": 2, "ineligible": 3}


def _title(program: str) -> str:
    from rules.model import load_programs

    return load_programs()[program].title


def _short(program: str) -> str:
    from rules.model import load_programs

    return load_programs()[program].short_title


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


def amount_sentences(amount) -> list[str]:
    """A monthly amount in plain sentences (rules.model.Amount): the sum, the tiers or the share of the
    local 低保 standard; the day it took effect (or the day of the page that states it), the day its
    document is dated when it applies the figure back, where it comes from and what kind of page that is."""
    from knowledge.sources import SOURCE_KINDS

    if amount is None:
        return []
    if amount.yuan is not None:
        out = [f"标准是每人每月{amount.yuan}元。"]
    elif len(amount.tiers) == 1:  # one group's figure, said with whom it is for
        out = [f"标准是：{amount.tiers[0][0]}，每人每月{amount.tiers[0][1]}元。"]
    elif amount.tiers:
        out = ["标准分档：" + "，".join(f"{label}的每人每月{yuan}元" for label, yuan in amount.tiers) + "。"]
    elif amount.share is not None:
        out = [f"标准是当地低保标准的{amount.share:.0%}，具体金额请问当地。"]
    else:
        return []
    from knowledge.sources import load_documents

    doc = load_documents().get(amount.doc)
    if amount.date_kind == "stated_on":
        dated = f"这是{zh_date(amount.as_of)}的文件或网页上写的，从哪天起执行没有写明"
    elif amount.effective and doc is not None and doc.issued == amount.since:
        dated = f"这是{zh_date(amount.as_of)}起执行的，文件是{zh_date(amount.since)}印发的"
    elif amount.effective:
        dated = f"这是{zh_date(amount.as_of)}起执行的，{zh_date(amount.since)}的文件或网页上写明"
    else:
        dated = f"这是{zh_date(amount.as_of)}起执行的"
    kind = SOURCE_KINDS.get(amount.source_kind, "")
    out.append(dated + (f"，出处是{amount.source}" if amount.source else "") + (f"，依据的是{kind}" if kind else "")
               + "。之后可能调整过，以当地最新公布的为准。")
    age = date.today().year - amount.as_of.year
    if age >= OLD_FIGURE_YEARS:
        out.append(f"这个数字是{amount.as_of.year}年的，已经过去{age}年，很可能调整过，请问当地经办部门现在的标准。")
    return out


def figures(details: dict) -> list[str]:
    """The figures of a result in plain sentences: its amount (see amount_sentences); the months of a
    渐退期."""
    from rules.model import Amount

    out = amount_sentences(Amount.from_details(details))
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
    """The document, its section and its own words; a record (knowledge/sources, kind record: a figure
    this project wrote down from a page it names) is said to be a record, not quoted as the page's words."""
    from knowledge.sources import load_documents

    doc = load_documents().get(source.get("doc"))
    if doc is not None and doc.kind == "record":
        return f"依据：{source['title']}，{source['section']}，记录的内容是：{source['quote'].rstrip('。')}。"
    return f"依据：{source['title']}，{source['section']}，原文：“{source['quote']}”。"


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


def _amount(result: dict) -> str:
    from rules.model import Amount

    amount = Amount.from_details(result.get("details") or {})
    return f"（每月{amount.yuan}元）" if amount and amount.yuan else ""


def _amount_dated(result: dict) -> str:
    """The monthly figure with the day it took effect (or the day of its page) and where it is written,
    for a message that travels without the rest of the answer."""
    from rules.model import Amount

    amount = Amount.from_details(result.get("details") or {})
    if not amount or not amount.yuan:
        return ""
    when = f"{zh_date(amount.as_of)}起" if amount.date_kind == "took_effect" else f"{zh_date(amount.as_of)}所载"
    return f"（每月{amount.yuan}元，{when}，金额出处：{amount.source}）"


def summary(results: list[dict], not_asked: list[str] = ()) -> str:
    """The answer in one short message: what the person can get, what the office decides, what is
    still needed, what does not apply. At most SUMMARY_LIMIT characters: the longest parts are
    shortened first (the list of what does not apply becomes a count)."""
    by = {v: [r for r in results if r["verdict"] == v and r["program"] not in not_asked] for v in VERDICT_ORDER}
    parts = []
    if by["eligible"]:
        parts.append("按规定能领：" + "、".join(_short(r["program"]) + _amount(r) for r in by["eligible"])
                     + "，最后由经办部门审核。")
    if by["refer"]:
        parts.append("要问当地：" + "、".join(_short(r["program"]) for r in by["refer"]) + "。")
    if by["need_info"]:
        missing = list(dict.fromkeys(f for r in by["need_info"] for f in r.get("missing", [])[:1]))
        parts.append("、".join(_short(r["program"]) for r in by["need_info"]) + "还要知道"
                     + "、".join(FACTS[f].label for f in missing[:2]) + "。")
    rest = [r["program"] for r in by["ineligible"]] + list(not_asked)
    if rest and not parts and not not_asked:
        parts.append("按规定都不符合条件。")
    elif rest:
        parts.append(("不符合或没有问：" if not_asked else "不符合：") + "、".join(_short(p) for p in rest) + "。")
    text = "".join(parts)
    if len(text) > SUMMARY_LIMIT and rest:
        text = "".join(parts[:-1]) + f"另有{len(rest)}项不适用。"
    if len(text) > SUMMARY_LIMIT:
        text = text.replace("，最后由经办部门审核", "")
    return text[:SUMMARY_LIMIT]


def render_answer(results: list[dict], profile: dict | None = None, unsure: list[str] = (),
                  not_asked: list[str] = (), details_of_all: bool = False) -> list[str]:
    """Every message of an answer for one person (see the module doc), each at most LIMIT characters.
    `not_asked`: programmes whose questions were not asked (they matter little for this person);
    `details_of_all`: explain every programme, also those that do not apply (a caseworker's check)."""
    from bot.conversation.text import split_message

    ordered = sorted(results, key=lambda r: VERDICT_ORDER[r["verdict"]])
    messages = [summary(ordered, not_asked)]
    for result in ordered:  # how to apply is said on request (怎么申请): each explanation fits a message
        if details_of_all or (result["verdict"] != "ineligible" and result["program"] not in not_asked):
            messages.append(render_result(result, with_apply=False))
    later = [] if details_of_all else [r for r in ordered if r["verdict"] == "ineligible"]
    skipped = [r for r in ordered if r["program"] in not_asked and r["verdict"] != "ineligible"]
    tail = []
    if later:
        tail.append("不符合条件的：" + "、".join(_title(r["program"]) for r in later) + "。")
    if skipped:
        tail.append("没有问：" + "、".join(_title(r["program"]) for r in skipped)
                    + "，和您说的情况关系不大。想了解，直接说它的名字。")
    if later:
        tail.append(f"想知道原因，请说：{DETAILS}。对结论有疑问，请说：{REFUSED}。")
    if any(r["verdict"] in ("eligible", "refer") for r in ordered) and not details_of_all:
        tail.append(f"想知道去哪里申请、要带什么，请说：{APPLY}。")
    still = [f for f in unsure if any(f in r.get("missing", []) for r in results if r["verdict"] == "need_info")]
    if still:
        from bot.conversation.questions import who_knows

        tail.append(who_knows(still) + "问清楚以后直接告诉我，我再判断。")
    if tail:
        messages.append("".join(tail))
    return [part for m in messages for part in split_message(m, LIMIT)]


SAID_BACK = "我记下的：{facts}。说错了直接告诉我，比如：不对，是三级。"


def said_back(profile: dict, facts: list[str]) -> tuple[str, dict]:
    """(sentence, {fact: value}) of the values an answer rests on, in a few words each, to be said before
    it so that a misheard one is caught: "我记下的：浙江省宁波市奉化区，肢体残疾二级，17岁，是低保家庭。
    说错了直接告诉我…". The disability is said whole (category and grade, as the certificate says it)
    when either decides. ("", {}) when nothing is known."""
    from knowledge.gazetteer import place_name

    disability = ("disability_category", "disability_grade")
    wanted = set(facts) | (set(disability) if set(disability) & set(facts) else set())
    order = ["region", *disability, "age", *(f for f in FACTS if f not in ("region", "age", *disability))]
    values = {f: profile[f] for f in order if f in wanted and f in profile}
    parts = []
    for fact, value in values.items():
        if fact == "region":
            parts.append(place_name(value))
        elif fact == "disability_category":
            grade = profile.get("disability_grade")
            parts.append(FACTS[fact].value_label(value) + (grade_zh(grade) if grade else ""))
        elif fact == "disability_grade":
            if "disability_category" not in profile:
                parts.append("残疾" + grade_zh(value))
        else:
            parts.append(FACTS[fact].describe(value))
    return (SAID_BACK.format(facts="，".join(parts)), values) if parts else ("", {})


# --- around the verdict: the 办事清单, questions the clauses answer, what if, a summary to pass on ----------

DEFAULT_STEPS = ("where", "bring", "on_behalf", "elsewhere", "how_long", "payment")
DONT_KNOW_ANSWER = ("这个问题，收录的文件里没有找到答案，我不能乱说。我能判断五项残疾人福利能不能领，也能说怎么申请、"
                    "要带什么、被拒了怎么办。其他问题，可以问户籍所在地的县级残联或乡镇人民政府、街道办事处，"
                    "也可以打12345政务服务便民热线。")
CITE_LINE = "依据：{title}，{section}，原文：“{quote}”。"


def cite_line(doc: str, section: str, quote: str) -> str:
    """The document, its section and its own words, as a verdict's source is said (a record: said to be one)."""
    from knowledge.sources import load_documents

    d = load_documents()[doc]
    if d.kind == "record":
        return f"依据：{d.citation()}，{section}，记录的内容是：{quote.rstrip('。')}。"
    title = d.citation() + ("（一个地方的办事指南，各地做法可能不同）" if d.kind == "local-guide" else "")
    return CITE_LINE.format(title=title, section=section, quote=quote)


def steps_text(program, topics=DEFAULT_STEPS, heading: str | None = None) -> str:
    """The lines of a programme's 办事清单 for the topics asked, each with its source, or "" if none.
    `heading`: what the lines are about, when not the programme's title ("申请低保")."""
    lines = []
    for step in (s for t in topics for s in program.procedure if s.topic == t):
        lines.append(step.text)
        lines += [cite_line(c.doc, c.section, c.quote) for c in step.cites]
    return ((heading or program.title) + "：\n" + "\n".join(lines)) if lines else ""


def topic_answer(answer) -> str:
    """A question the knowledge base answers (knowledge/questions.yaml): its sentence, then its clauses."""
    return "\n".join([answer.say, *(cite_line(*c) for c in answer.cites)])


def clause_answer(clause) -> str:
    """The closest clause to a question no topic answers, quoted as it stands, said to be the closest."""
    from knowledge.sources import load_documents

    d = load_documents()[clause.doc]
    return (f"收录的文件里，和您问的最接近的是{d.citation()}，{clause.section}：“{clause.text}”"
            f"具体怎么办，以当地经办部门的答复为准。")


def what_if(change: dict, before: list[dict], after: list[dict]) -> str:
    """The difference a changed fact would make, in one short message; nothing stored is changed."""
    said = "，".join(FACTS[f].describe(v) for f, v in change.items())
    was = {r["program"]: r for r in before}
    moved = [r for r in after if r["verdict"] != was.get(r["program"], {}).get("verdict")
             or _amount(r) != _amount(was.get(r["program"], {}))]
    words = {"eligible": "按规定能领", "ineligible": "不符合", "refer": "要问当地", "need_info": "还要知道更多情况"}
    from rules.engine import uses_fact

    # the change matters to a programme that still needs another fact: say which, not "nothing changes"
    open_ = [r for r in after if r["verdict"] == "need_info" and r.get("missing")
             and any(uses_fact(r["program"], f) for f in change)]
    needs = "；".join(f"{_short(r['program'])}还要知道{FACTS[r['missing'][0]].label}" for r in open_[:2])
    undecided = after and all(r["verdict"] == "need_info" for r in after)
    if needs and (undecided or not moved):
        return f"如果{said}：现在还定不下来，{needs}，才能判断。这只是假设，您说过的情况没有改。"
    if undecided:
        return (f"如果{said}：还要知道您现在的其他情况，才能比较。"
                "先说说现在的情况，比如残疾等级、户口在哪里，再问“要是……呢”。这只是假设，没有记下。")
    if not moved:
        return f"如果{said}：结论都不变。这只是假设，您说过的情况没有改。"
    parts = [f"{_short(r['program'])}从{words[was[r['program']]['verdict']] if r['program'] in was else '没有结论'}"
             f"变为{words[r['verdict']]}{_amount(r)}" for r in moved]
    basis = next((f"依据：{s['title']}，{s['section']}。" for r in moved for s in r.get("sources") or []), "")
    return f"如果{said}：" + "；".join(parts) + "。其他不变。" + basis + "这只是假设，您说过的情况没有改。"


SUMMARY_LIMIT_BYTES = 2048


def shareable(profile: dict, results: list[dict], as_of) -> str:
    """One plain-text message to forward (to a son, to the village cadre): the facts, each verdict with
    its amount and its document, and who decides; no name, no number that identifies anyone. It fits
    one message (LIMIT characters, well under WeChat's 2,048 bytes)."""
    from bot.conversation.text import split_message
    from knowledge.sources import load_documents

    documents = load_documents()
    facts = "，".join(FACTS[f].describe(v) for f, v in profile.items())
    head = f"残疾人福利查询结果（{zh_date(as_of)}，按收录的政策文件判断，最后以经办部门审核为准）。情况：{facts}。"
    words = {"eligible": "按规定能领", "ineligible": "不符合", "refer": "要问当地", "need_info": "还要补充情况"}
    lines = []
    for r in sorted(results, key=lambda r: VERDICT_ORDER[r["verdict"]]):
        docs = list(dict.fromkeys(s["doc"] for s in r.get("sources", [])))[:1]
        basis = f"，依据{documents[docs[0]].citation()}" if docs else ""
        amount = _amount_dated(r) if r["verdict"] == "eligible" else ""  # a figure only with a grant
        lines.append(f"{_short(r['program'])}：{words[r['verdict']]}{amount}{basis}。")
    def fits(text: str) -> bool:
        return len(text) <= LIMIT and len(text.encode("utf-8")) <= SUMMARY_LIMIT_BYTES

    text = head + "".join(lines)
    # too long for one message: first the verdicts' documents go, then the amounts' (their dates stay)
    for shorten in (lambda line: line.split("，依据")[0] + "。" if "，依据" in line else line,
                    lambda line: re.sub(r"，金额出处：.*?）(?=，依据|。$)", "）", line)):
        if fits(text):
            break
        lines = [shorten(line) for line in lines]
        text = head + "".join(lines)
    return text if fits(text) else split_message(text, LIMIT)[0]


STOPPED_HEAD = "补贴和低保都是按条件发的，条件有变化就可能停。可以请经办部门说明停发的原因。下面是每一项的条件。"


def stopped(programs) -> str:
    """A benefit that stopped: what decides each programme (its national rule's own reason and words),
    what the office must do and what the person can do, then that the check of today's situation
    follows."""
    lines = [STOPPED_HEAD]
    for program in programs:
        nationals = [lr for lr in program.layers if lr.place == "000000" and lr.cases]
        national = next((lr for lr in nationals if lr.current(date.today())), nationals[0] if nationals else None)
        case = next((c.outcome for c in (national.cases if national else ()) if c.outcome.verdict == "eligible"),
                    None)
        if case is None and national is not None and national.otherwise \
                and national.otherwise.verdict in ("eligible", "refer"):
            case = national.otherwise  # the 渐退期: what it grants unless a case says why not
        if case is not None:  # every clause the reason rests on (the 渐退期's 6 months is in the second)
            lines += [f"{program.title}：{case.reason}", *(cite_line(c.doc, c.section, c.quote) for c in case.cites)]
        for step in (s for s in program.procedure if s.topic == "refused"):
            lines.append(step.text)
            lines += [cite_line(c.doc, c.section, c.quote) for c in step.cites]
    lines.append("我帮您对照现在的情况看看还符不符合。")
    return "\n".join(dict.fromkeys(lines))
