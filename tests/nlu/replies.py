"""Replies to one closed question, read by the whole reader (the rules, then the learned reader behind
them), and by the learned reader alone.

    python tests/nlu/replies.py [--rules-only] [FILE]     (default: tests/nlu/replies_blind.yml)

FILE: `items:` of {asked, text, expect, sure}: `expect` is the value the reply means (true/false, an
option's value, a grade), `dont_know`, or `none` / `no_answer` (it does not answer the question).
Written by an author who saw neither the code nor the training corpus (knowledge/answers/); only its
counts are ever printed.

Counted per fact, as the conversation would take each reply:
- right: the value is taken (certain), or asked back as the value it is ("您是说…吗？"), or, for a
  reply that says the person does not know, the question is skipped or asked back as not known;
- wrong: a value taken for certain that is not what the reply means (or that a reply which does not
  answer never said): a misread word that would decide a verdict;
- wrong confirm: asked back with another value (the person says no; it costs a question);
- missed: nothing taken (the question comes again, numbered).
Also printed: the learned reader's own accuracy (its best label, whatever its probability) over all the
items, and over those whose words are not in its training corpus (two authors writing short replies
write some of the same ones: 有证, 没有, 不知道).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BLIND = HERE / "replies_blind.yml"
NO_ANSWER = ("none", "no_answer")


def load(path: Path) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    out = []
    for item in items:
        expect = item["expect"]
        if item["asked"] == "household" and expect == "none" and "no_answer" in {str(i["expect"]) for i in items}:
            expect = "none"  # the file writes household's 都不是 as none and a non-answer as no_answer
        elif expect in NO_ANSWER:
            expect = "no_answer"
        out.append({**item, "expect": expect})
    return out


def _same(fact: str, want: Any, got: Any) -> bool:
    if fact == "disability_grade":
        return str(want) == str(got)
    return want == got


def score(items: list[dict], rules_only: bool = False) -> dict[str, Counter]:
    from unittest import mock

    from bot.nlu import understand as u
    from bot.nlu.learned import DONT_KNOW, NONE, propose

    from bot.nlu.learned import closed_facts, examples, _normal

    seen = {(fact, _normal(t)) for fact in closed_facts() for t, _ in examples(fact)}
    out: dict[str, Counter] = {}
    patch = mock.patch.object(u, "_read_learned", lambda reading, text: None) if rules_only else mock.patch.object(u, "_read_learned", u._read_learned)
    with patch:
        for item in items:
            fact, text, want = item["asked"], str(item["text"]), item["expect"]
            c = out.setdefault(fact, Counter())
            c["items"] += 1
            r = u.understand(text, asking=fact)
            certain, confirm = r.facts.get(fact), r.confirm.get(fact)
            if want == DONT_KNOW:
                if r.dont_know or r.unsure:
                    c["right"] += 1
                elif certain is not None:
                    c["wrong"] += 1
                elif confirm is not None:
                    c["wrong confirm"] += 1
                else:
                    c["missed"] += 1
            elif want == NONE:
                if certain is not None:
                    c["wrong"] += 1
                elif confirm is not None or r.unsure:
                    c["wrong confirm"] += 1
                else:
                    c["right"] += 1
            elif certain is not None:
                c["right" if _same(fact, want, certain) else "wrong"] += 1
            elif confirm is not None:
                c["right" if _same(fact, want, confirm) else "wrong confirm"] += 1
            else:
                c["missed"] += 1
            p = propose(text, fact)
            right = int(p.label == (str(want).lower() if isinstance(want, bool) else str(want)))
            c["learned right"] += right
            if (fact, _normal(text)) not in seen:
                c["unseen"] += 1
                c["learned right, unseen"] += right
    return out


COLUMNS = ("items", "right", "wrong", "wrong confirm", "missed", "learned right", "unseen", "learned right, unseen")


def table(counts: dict[str, Counter]) -> str:
    lines = ["  " + f"{'fact':24}" + "".join(f"{c:>{max(8, len(c) + 2)}}" for c in COLUMNS)]
    total: Counter = Counter()
    for fact, c in counts.items():
        total.update(c)
        lines.append("  " + f"{fact:24}" + "".join(f"{c[k]:>{max(8, len(k) + 2)}}" for k in COLUMNS))
    lines.append("  " + f"{'all':24}" + "".join(f"{total[k]:>{max(8, len(k) + 2)}}" for k in COLUMNS))
    n = max(total["items"], 1)
    lines.append(f"  right {total['right'] / n:.1%}, wrong {total['wrong']}, missed {total['missed'] / n:.1%}, "
                 f"learned reader alone {total['learned right'] / n:.1%} "
                 f"({total['learned right, unseen'] / max(total['unseen'], 1):.1%} of the {total['unseen']} "
                 f"replies whose words it was not trained on)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=BLIND)
    parser.add_argument("--rules-only", action="store_true", help="without the learned reader")
    args = parser.parse_args(argv)
    print(f"{args.file.name}{' (rules only)' if args.rules_only else ''}:")
    print(table(score(load(args.file), args.rules_only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
