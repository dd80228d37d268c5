"""Rasa, run the way zhucan serves it: `python -m bot.plumbing.rasa_runtime run ...` is `rasa run ...` with
two fixes for speed, installed by `install()` (also used by `zhucan chat` and the tests). Neither
changes what Rasa does, only how often it repeats work whose result cannot change.

1. Rasa 3.6 checks every reply of the action server with `jsonschema.validate(reply, schema)`. That
   function first validates the schema itself against its meta-schema (draft 2020-12, whose
   `$dynamicRef`s make it deep), on every call; a turn of our form makes two or three action calls,
   and at 10 concurrent users that check was half of the Rasa server's CPU (py-spy,
   bench/serving.py). Here each schema is checked once and its validator kept: a reply is still
   validated in full, and an invalid schema still raises.
2. Loading a conversation from the tracker store turns each stored event into its class with
   `Event.resolve_by_type(name)`, which walks every subclass of Event for every event (9% of the
   server's time, cProfile). The classes are fixed once Rasa is imported: each name is looked up once.
"""
from __future__ import annotations

import json
import sys

_CACHE_MAX = 64  # distinct schemas kept; Rasa uses a handful
_validators: dict = {}
_original = None


def validate(instance, schema, cls=None, *args, **kwargs) -> None:
    """jsonschema.validate, with the schema checked once per distinct schema."""
    import jsonschema
    from jsonschema import exceptions, validators

    if args or kwargs or not isinstance(schema, dict):
        return (_original or jsonschema.validate)(instance, schema, cls, *args, **kwargs)
    key = (json.dumps(schema, sort_keys=True, default=repr), cls)
    validator = _validators.get(key)
    if validator is None:
        kind = cls or validators.validator_for(schema)
        kind.check_schema(schema)
        validator = kind(schema)
        if len(_validators) >= _CACHE_MAX:
            _validators.clear()
        _validators[key] = validator
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


_event_classes: dict = {}
_resolve_original = None


def resolve_by_type(type_name, default=None):
    """Event.resolve_by_type, remembering each name's class (an unknown name is not remembered)."""
    found = _event_classes.get(type_name)
    if found is None:
        found = _resolve_original(type_name, default)
        if found is not None and found is not default:
            _event_classes[type_name] = found
    return found


def install() -> None:
    """Put both fixes in place in this process; calling it again does nothing."""
    global _original, _resolve_original
    import jsonschema
    from rasa.shared.core.events import Event

    if jsonschema.validate is not validate:  # Rasa imports it at call time
        _original = jsonschema.validate
        jsonschema.validate = validate
    if Event.resolve_by_type is not resolve_by_type:
        _resolve_original = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(resolve_by_type)


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
