"""Questions around the verdict (issue 17), asked as residents ask them, and what the bot answers.

    python tests/nlu/questions.py [--transcripts OUT.yml] [FILE]     (default: tests/questions_blind.yml)

FILE: `questions:` of {id, topic, text, profile?, must, must_not, basis}, written by an author who never saw
the code. For each, a new conversation: the profile's facts are given first (as a caseworker's forced
/inform, so that no reading of words is involved), every question the bot then asks is answered 不知道
until it has answered, then the question is sent. Each answer is counted as:
- quoted: it quotes a clause with its document and section (依据：…原文：“…” or a record's statement);
- dont_know: it says honestly that it does not know, and who can tell;
- decided: a what-if or a summary to pass on: the rules decide again, said as such;
- neither: it does something else (a verdict again, a question, the wrong topic).
`invented` counts answers that name a phone number, a website or a time limit that none of the clauses
they quote contains: never allowed.

The blind file's texts are never printed: the counts are, and --transcripts writes question and answer
side by side for a grader who did not write the code (its `must` and `must_not` are for that grader).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BLIND = ROOT / "tests" / "questions_blind.yml"
QUOTED = re.compile(r"依据：.+?(?:原文：“|记录的内容是：)")
DONT_KNOW = ("没有找到答案", "没有写", "不能乱说", "请问", "可以问", "12345")
PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}-?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)")
WEBSITE = re.compile(r"https?://|www\.|\.gov\.cn|\.com")
# (not a duration the user stated, said back: "收入超过低保标准已有2个月")
TIME_LIMIT = re.compile(r"(?<![月\d])(?<!已有)\d+个?(?:工作日|天|日|个月)")
DECIDED = ("这只是假设", "残疾人福利查询结果")  # a what-if or a summary: the rules decided again, no clause needed


def _profile_message(profile: dict) -> str:
    from knowledge.gazetteer import gazetteer
    from rules.facts import validate_profile

    facts = dict(profile or {})
    if "region" in facts:
        facts["region"] = gazetteer().resolve(str(facts["region"])).code
    facts = validate_profile(facts)
    return "/inform" + json.dumps({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in facts.items()},
                                  ensure_ascii=False)


def judge(answer: str) -> tuple[str, bool]:
    """(kind, invented) of an answer's text."""
    quotes = " ".join(re.findall(r"“([^”]*)”|记录的内容是：([^\n]*)", answer) and
                      [q for pair in re.findall(r"“([^”]*)”|记录的内容是：([^\n]*)", answer) for q in pair])
    invented = bool(PHONE.search(answer.replace("12345", "")) or WEBSITE.search(answer)
                    or any(m.group() not in quotes for m in TIME_LIMIT.finditer(answer)))
    if any(w in answer for w in DECIDED):
        return "decided", invented
    if QUOTED.search(answer):
        return "quoted", invented
    if any(w in answer for w in DONT_KNOW):
        return "dont_know", invented
    return "neither", invented


def play(bot, item: dict, sender: str) -> list[str]:
    if item.get("profile"):
        replies = bot.say(_profile_message(item["profile"]), sender)
        for _ in range(12):
            if replies.results is not None or not replies.asks:
                break
            replies = bot.say("不知道", sender)
    return bot.say(str(item["text"]), sender).texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=BLIND)
    parser.add_argument("--transcripts", type=Path, help="write question and answer side by side here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from conversations import _Session

    items = yaml.safe_load(args.file.read_text(encoding="utf-8"))["questions"]
    counts: Counter = Counter()
    by_topic: dict = {}
    out = []
    start = time.monotonic()
    with _Session() as bot:
        for item in items:
            answer = "\n".join(play(bot, item, f"q-{item['id']}-{time.monotonic_ns()}"))
            kind, invented = judge(answer)
            counts[kind] += 1
            counts["invented"] += invented
            by_topic.setdefault(item.get("topic", "?"), Counter())[kind] += 1
            out.append({"id": item["id"], "answer": answer, "judged": kind, "invented": invented})
    n = len(items)
    print(f"{args.file.name}: {n} questions: {counts['quoted']} answered with a quoted clause, "
          f"{counts['dont_know']} an honest don't-know, {counts['decided']} decided again (what-if, summary), "
          f"{counts['neither']} neither; {counts['invented']} "
          f"with an invented number, website or time limit ({time.monotonic() - start:.0f} s)")
    for topic, c in sorted(by_topic.items()):
        print(f"  {topic:16} quoted {c['quoted']:2}  dont_know {c['dont_know']:2}  decided {c['decided']:2}  "
              f"neither {c['neither']:2}")
    if args.transcripts:
        args.transcripts.write_text(yaml.safe_dump({"answers": out}, allow_unicode=True, sort_keys=False),
                                    encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
