"""Whole conversations played by a simulated resident, scored by the verdicts they end with.

    python tests/nlu/conversations.py [--show] FILE...     (FILE: tests/nlu/conversations_blind/*.yml)

Each conversation (format in tests/nlu/conversations_blind/README.md) is a person whose situation is
`truth`. The player sends `opening`, then answers every question the bot asks about a fact with that
person's own words for it (`answers[fact]`, in order; `dont_know` when they run out or the person does not
know), answers a confirmation ("您说的是…吗？") with `yes` or with `no` and their words for the true value,
and reads the line the bot says back before a verdict ({"said_back": {...}}): a value that is not the
truth is corrected, in plain words ("不对，是三级"), as a person listening to it would. After the first
verdict it sends `after_verdict`, one message at a time.

Scored against what the rules give for `truth` on the conversation's day (rules.engine.evaluate), for
the programmes the person asks about (`programs`), else those in play for them (rules.engine.in_play):
- right: every one of them ends with the verdict the truth gives;
- wrong: at least one ends with a confident verdict (eligible, ineligible, refer) that the truth does
  not give: a misread value decided it;
- open: neither (a question was skipped, or the conversation did not finish).
Also counted: questions asked more than twice in a row (never allowed), turns, and corrections the
player had to make after a said-back line.

The blind files are never shown item by item: `--show` lists the conversations that are not right only
for files outside tests/nlu/conversations_blind/.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BLIND_DIR = HERE / "conversations_blind"
MAX_TURNS = 30
CONFIDENT = ("eligible", "ineligible", "refer")


@dataclass
class Conversation:
    id: str
    as_of: date
    kind: str
    opening: str
    truth: dict
    answers: dict
    after_verdict: list
    yes: str
    no: str
    dont_know: str
    programs: list
    unknown: list = field(default_factory=list)


def _word(raw: Any, default: str) -> str:
    """yes/no words as written; YAML reads a bare yes or no as a boolean."""
    if isinstance(raw, bool) or raw is None:
        return default
    return str(raw)


def load(path: Path) -> list[Conversation]:
    from knowledge.gazetteer import gazetteer
    from rules.facts import validate_profile

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for raw in data["conversations"]:
        truth = dict(raw.get("truth") or {})
        if "region" in truth:
            truth["region"] = gazetteer().resolve(str(truth["region"])).code
        truth = validate_profile(truth)
        answers = {k: [str(a) for a in (v if isinstance(v, list) else [v])] for k, v in (raw.get("answers") or {}).items()}
        as_of = raw.get("as_of") or date(2026, 12, 7)
        out.append(Conversation(
            id=str(raw["id"]), as_of=as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of)),
            kind=str(raw.get("kind") or "story"), opening=str(raw["opening"]), truth=truth, answers=answers,
            after_verdict=[str(m) for m in raw.get("after_verdict") or []],
            yes=_word(raw.get("yes"), "是的"), no=_word(raw.get("no"), "不是"),
            dont_know=_word(raw.get("dont_know"), "不知道"), programs=list(raw.get("programs") or []),
            unknown=list(raw.get("unknown") or [])))
    return out


def expected(conv: Conversation) -> dict[str, str]:
    """programme -> the verdict the truth gives, for the programmes the conversation is about: those
    asked about, else those in play for the person as the bot can know them (an adult is not asked
    about child rehabilitation, nobody about 渐退期 without work or a rise in income)."""
    from rules.engine import evaluate, in_play

    adult = conv.truth.get("age", 0) >= 18
    wanted = conv.programs or in_play({k: v for k, v in conv.truth.items() if not (adult and k == "age")},
                                      adult=adult, as_of=conv.as_of)
    return {r.program: r.verdict for r in evaluate(conv.truth, wanted, conv.as_of).results}


def plain_words(fact: str, value: Any) -> str:
    """How a person correcting the bot says the true value: plainly ("不对，是三级")."""
    from knowledge.facts import FACTS
    from knowledge.gazetteer import place_name

    spec = FACTS[fact]
    if fact == "region":
        return f"不对，户口在{place_name(value)}"
    if fact == "age":
        return f"不对，是{value}岁"
    if fact.startswith("months_"):
        return f"不对，是{value}个月"
    if spec.kind == "bool":
        return "不对，" + spec.describe(value)
    if fact == "household":
        return {"dibao": "不对，是低保户", "low_income": "不对，是低保边缘户", "tekun": "不对，是特困户",
                "none": "不对，我们家就是普通家庭，不是低保户"}[value]
    return "不对，是" + spec.value_label(value)


@dataclass
class Played:
    conv: Conversation
    verdicts: dict = field(default_factory=dict)
    turns: int = 0
    corrections: int = 0
    asked_thrice: int = 0
    finished: bool = False
    log: list = field(default_factory=list)

    @property
    def outcome(self) -> str:
        want = expected(self.conv)
        got = {p: self.verdicts.get(p) for p in want}
        if got == want:
            return "right"
        if any(got[p] in CONFIDENT and got[p] != want[p] for p in want):
            return "wrong"
        return "open"


def play(bot, conv: Conversation, sender: str) -> Played:
    """One conversation through `bot` (tests/talk.py's Bot), as the person in it would answer."""
    from bot.conversation.questions import DONT_KNOW

    played = Played(conv)
    used: Counter = Counter()
    pending = list(conv.after_verdict)
    run: list[str] = []  # the facts asked, in a row

    def send(text: str):
        played.turns += 1
        played.log.append(("user", text))
        replies = bot.say(text, sender)
        played.log.append(("bot", replies.texts))
        return replies

    def words_for(fact: str) -> str:
        options = conv.answers.get(fact) or []
        if fact in conv.unknown or fact not in conv.truth or used[fact] >= len(options):
            return conv.dont_know
        used[fact] += 1
        return options[used[fact] - 1]

    replies = send(conv.opening)
    while played.turns < MAX_TURNS:
        if replies.results is not None:
            played.verdicts = {r["program"]: r["verdict"] for r in replies.results}
            wrong = {f: v for f, v in (replies.said_back or {}).items()
                     if f in conv.truth and conv.truth[f] != v}
            if wrong:
                fact = next(iter(wrong))
                played.corrections += 1
                replies = send(plain_words(fact, conv.truth[fact]))
                continue
            if pending:
                replies = send(pending.pop(0))
                continue
            played.finished = True
            break
        if not replies.asks:
            if pending:
                replies = send(pending.pop(0))
                continue
            break  # neither a question nor a verdict: the person is left waiting
        fact = replies.asks[-1]
        run = run + [fact] if run and run[-1] == fact else [fact]
        if len(run) > 2:
            played.asked_thrice += 1
        confirming = replies.confirming
        if confirming is not None:
            value = confirming
            truth = conv.truth.get(fact, DONT_KNOW)
            if value == truth or (value == DONT_KNOW and (fact not in conv.truth or fact in conv.unknown)):
                replies = send(conv.yes)
            else:
                replies = send(conv.no + "，" + words_for(fact))
            continue
        replies = send(words_for(fact))
    return played


@dataclass
class Score:
    played: list

    def counts(self) -> Counter:
        return Counter(p.outcome for p in self.played)

    def by_kind(self) -> dict:
        out: dict = {}
        for p in self.played:
            out.setdefault(p.conv.kind, Counter())[p.outcome] += 1
        return out

    def table(self, name: str) -> str:
        c = self.counts()
        n = len(self.played)
        turns = sum(p.turns for p in self.played)
        lines = [f"{name}: {n} conversations: {c['right']} right ({c['right'] / max(n, 1):.0%}), "
                 f"{c['wrong']} wrong, {c['open']} open; {turns} messages sent, "
                 f"{sum(p.corrections for p in self.played)} corrections after a said-back line, "
                 f"{sum(p.asked_thrice for p in self.played)} questions asked a third time"]
        for kind, k in sorted(self.by_kind().items()):
            lines.append(f"  {kind:22} right {k['right']:3}  wrong {k['wrong']:3}  open {k['open']:3}")
        return "\n".join(lines)

    def listing(self, everything: bool = False) -> str:
        out = []
        for p in self.played:
            if p.outcome == "right" and not everything:
                continue
            out.append(f"{p.conv.id} {p.outcome}: want {expected(p.conv)}, got "
                       f"{ {k: p.verdicts.get(k) for k in expected(p.conv)} }")
            for who, what in p.log:
                out.append(f"    {who}: {what}")
        return "\n".join(out)


def is_blind(path: Path) -> bool:
    return BLIND_DIR in path.resolve().parents


class _Session:
    """The trained model, the action server and a store in a temporary directory, for one run."""

    def __enter__(self):
        sys.path.insert(0, str(ROOT / "tests"))
        from talk import Bot, load_agent

        from bot.channels.chat import quiet_logging
        from bot.plumbing.build import ensure_model
        from bot.plumbing.serve import HOST, free_port, start_actions

        quiet_logging()
        self.tmp = tempfile.TemporaryDirectory()
        port = free_port()
        self.log = open(Path(self.tmp.name) / "actions.log", "wb")
        self.proc = start_actions(port, self.log)
        self.loop = asyncio.new_event_loop()
        model = ensure_model()
        agent = load_agent(model, f"http://{HOST}:{port}/webhook", Path(self.tmp.name) / "zhucan.db", self.loop)
        return Bot(agent, self.loop)

    def __exit__(self, *exc):
        from bot.plumbing.serve import stop

        stop(self.proc)
        self.log.close()
        self.loop.close()
        self.tmp.cleanup()


def measure(paths: list[Path], bot=None) -> dict[Path, Score]:
    """Every conversation of every file, each as its own sender. The bot takes each message as said
    today; what a relative date means ("再过俩月") is the same either way, and the truth's verdicts are
    those of the conversation's own day."""
    def run(bot) -> dict[Path, Score]:
        return {path: Score([play(bot, conv, f"conv-{path.stem}-{conv.id}-{time.monotonic_ns()}")
                             for conv in load(path)]) for path in paths}

    if bot is not None:
        return run(bot)
    with _Session() as bot:
        return run(bot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=sorted(BLIND_DIR.glob("*.yml")))
    parser.add_argument("--show", action="store_true", help="list the conversations that are not right "
                        "(never for the blind files)")
    parser.add_argument("--all", action="store_true", help="with --show: every conversation")
    args = parser.parse_args(argv)
    start = time.monotonic()
    scores = measure(args.files)
    total = Score([p for s in scores.values() for p in s.played])
    for path, score in scores.items():
        print(score.table(str(path.resolve().relative_to(ROOT) if ROOT in path.resolve().parents else path)))
        if args.show and not is_blind(path):
            print(score.listing(args.all))
    if len(scores) > 1:
        print(total.table("all"))
    print(f"({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
