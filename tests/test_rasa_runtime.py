"""bot.plumbing.rasa_runtime: jsonschema.validate as Rasa calls it, with each schema checked only once."""
import jsonschema
import pytest

from bot.plumbing import rasa_runtime

SCHEMA = {"type": "object", "properties": {"events": {"type": "array"}, "responses": {"type": "array"}},
          "required": ["events"]}


def test_replies_are_still_validated_in_full():
    rasa_runtime.validate({"events": [], "responses": [{"text": "好"}]}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError) as err:
        rasa_runtime.validate({"responses": []}, SCHEMA)
    assert "'events' is a required property" in str(err.value)
    with pytest.raises(jsonschema.ValidationError):
        rasa_runtime.validate({"events": "not a list"}, SCHEMA)


def test_a_bad_schema_still_raises_and_a_good_one_is_checked_once(monkeypatch):
    with pytest.raises(jsonschema.SchemaError):
        rasa_runtime.validate({}, {"type": "no such type"})
    checks = []
    kind = jsonschema.validators.validator_for({})
    monkeypatch.setattr(kind, "check_schema", classmethod(lambda cls, schema: checks.append(schema)))
    schema = {**SCHEMA, "title": "once"}
    for _ in range(5):
        rasa_runtime.validate({"events": []}, dict(schema))  # a fresh but equal dict each time, as Rasa builds it
    assert len(checks) == 1


def test_install_makes_it_the_one_rasa_imports(monkeypatch):
    monkeypatch.setattr(jsonschema, "validate", jsonschema.validate)
    rasa_runtime.install()
    from jsonschema import validate

    assert validate is rasa_runtime.validate


def test_event_names_resolve_to_the_same_classes_and_unknown_ones_still_fail():
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    rasa_runtime.install()
    assert Event.resolve_by_type("slot") is SlotSet and Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("nonsense", ActionExecuted) is ActionExecuted
    with pytest.raises(ValueError):
        Event.resolve_by_type("nonsense")
    event = Event.from_parameters({"event": "slot", "name": "age", "value": 5})
    assert event == SlotSet("age", 5)


def test_intent_features_are_the_matrix_rasas_own_code_builds():
    import numpy as np
    import scipy.sparse
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import IntentClassifier

    def message(seed: int) -> Message:
        rng = np.random.default_rng(seed)
        m = Message({"text": "太原"})
        for origin, width in (("chars", 7), ("words", 4), ("lexicon", 3)):
            for kind, rows in (("sequence", 2), ("sentence", 1)):
                dense = (rng.random((rows, width)) > 0.6).astype(float)
                m.add_features(Features(scipy.sparse.coo_matrix(dense), kind, "text", origin))
        m.add_features(Features(rng.random((1, 5)), "sentence", "text", "vectors"))
        m.add_features(Features(rng.random((2, 5)), "sequence", "text", "vectors"))
        return m

    messages = [message(1), message(2)]
    ours = IntentClassifier._create_X(None, messages)
    theirs = LogisticRegressionClassifier._create_X(None, messages)
    assert ours.shape == theirs.shape == (2, 7 + 4 + 3 + 5)
    assert (ours != theirs).nnz == 0
