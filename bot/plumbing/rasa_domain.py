"""The part of the Rasa domain that each profile fact makes: bot/domain/facts.yml, generated.

Every fact of knowledge/facts.yaml is an entity, a slot of the same name filled from that entity at any
turn (so any answer can be corrected: "不对，是三级"), a slot the form may ask for, and an action
action_ask_<fact> (actions/form.py). What a reply to a question means is not Rasa's slot mapping but
bot.conversation.questions.reply, run by the form's validation: the slots are only where the values are kept.

The rest of the domain (intents, responses, the dialogue's own slots) is bot/domain/dialogue.yml, by hand.
Rasa reads the folder: `rasa train --domain bot/domain`.

    python -m bot.plumbing.rasa_domain          write bot/domain/facts.yml
    python -m bot.plumbing.rasa_domain --check  exit 1 if it is not what the facts make
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FACTS_DOMAIN = ROOT / "bot" / "domain" / "facts.yml"
FORM = "profile_form"
HEADER = """\
# Generated from knowledge/facts.yaml by `python -m bot.plumbing.rasa_domain`: do not edit, edit the facts.
# One entity, slot and ask action per profile fact (CONTRACT.md section 1); see bot/plumbing/rasa_domain.py.
"""


def render() -> str:
    from knowledge.facts import FACTS

    domain = {
        "version": "3.1",
        "entities": list(FACTS),
        # Custom mappings: a fact's slot is set only by validate_profile_form, from the one reading of the
        # message in context (bot.nlu.understand); no entity mapping competes with it.
        "slots": {name: {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}
                  for name in FACTS},
        # Which fact the form asks, if any, is decided turn by turn by validate_profile_form from the
        # rules engine (rules.engine.next_question): never a fixed questionnaire.
        "forms": {FORM: {"required_slots": list(FACTS)}},
        "actions": [f"action_ask_{name}" for name in FACTS],
    }
    return HEADER + yaml.safe_dump(domain, allow_unicode=True, sort_keys=False, width=100)


def write() -> Path:
    FACTS_DOMAIN.parent.mkdir(parents=True, exist_ok=True)
    FACTS_DOMAIN.write_text(render(), encoding="utf-8")
    return FACTS_DOMAIN


def current() -> bool:
    try:
        return FACTS_DOMAIN.read_text(encoding="utf-8") == render()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        if current():
            return 0
        print(f"{FACTS_DOMAIN.relative_to(ROOT)} is out of date: run python -m bot.plumbing.rasa_domain", file=sys.stderr)
        return 1
    print(f"wrote {write().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
