"""`zhucan ask`: the engine's own question loop in the terminal.

It asks only what the rules still need for this person (the engine's next_question), one fact at a
time, reads each reply the way the chat does (bot.conversation.questions.reply: the question's options, their
numbers, everyday yes and no, 不知道; words close to an option are asked back; an unreadable reply gets
the question once more, then the fact is skipped), and answers as soon as every programme is settled.
No model is loaded: it is the quick path for a caseworker and the fallback when the conversational
bot is not built.
"""
from __future__ import annotations

import sys
from datetime import date

from bot.conversation.questions import confirmation, question, reply, who_knows, unsure_sentence  # noqa: F401

QUIT = ("退出", "quit", "exit")
RESTART = "重新开始"


def ask_loop(as_of: date, programs: list[str] | None = None, stdin=sys.stdin, stdout=sys.stdout) -> int:
    from bot.conversation.render import render_answer
    from rules.engine import evaluate, in_play, next_question
    from rules.facts import ProfileError, check_value

    profile: dict = {}
    unsure: list[str] = []  # not known: not asked again, never taken as a no
    confirming: dict | None = None
    missed: tuple[str | None, int] = (None, 0)  # (fact, times asked in a row without an answer)
    print("我会只问判断需要的问题。不知道的可以说 不知道。随时可以输入 重新开始 或 退出。", file=stdout)
    while True:
        if confirming:
            fact = next(iter(confirming))
            text, words = confirmation(fact, confirming[fact])
        else:
            scope = programs or in_play(profile, as_of=as_of)
            fact = next_question(evaluate(profile, scope, as_of).results, skip=unsure)
            if fact is None:
                report = evaluate(profile, programs, as_of).to_json()
                print("\n" + "\n\n".join(render_answer(report["results"], profile, unsure)), file=stdout)
                return 0
            text, words = question(fact, again=missed == (fact, 1))
        if words and not all(w in text for w in words):
            text += "可以说：" + "、".join(words) + "。"
        print("\n" + text, file=stdout)
        stdout.flush()
        line = stdin.readline()
        if not line or line.strip() in QUIT:
            return 0
        if line.strip() == RESTART:
            profile, unsure, confirming, missed = {}, [], None, (None, 0)
            continue
        turn = reply(line, asking=fact, profile=profile, misses=missed[1] if missed[0] == fact else 0,
                     confirming=confirming, as_of=as_of)
        for key, value in turn.set.items():
            try:
                profile[key] = check_value(key, value)
            except ProfileError:
                pass
        unsure += [f for f in turn.skip if f not in unsure]
        unsure = [f for f in unsure if f not in profile]
        confirming = turn.confirming
        missed = (next(iter(confirming)) if confirming else fact, turn.misses)
        for sentence in turn.say:
            print(sentence, file=stdout)
