"""knowledge/facts.yaml: every fact defined once, and a definition that cannot be right is refused."""
import pytest

from knowledge.facts import FACTS, FactDefinitionError, load

CONTRACT = {  # CONTRACT.md section 1: the keys and their values, never renamed
    "region": "region", "age": "int", "has_certificate": "bool", "disability_category": "enum",
    "disability_grade": "int", "autism": "bool", "needs_long_term_care": "bool", "household": "enum",
    "in_welfare_institution": "bool", "orphan": "bool", "employed": "bool", "exit_cause": "enum",
    "income_above_line": "bool", "months_above_line": "int", "months_employed": "int",
}


def test_the_contract_facts_are_all_there_with_their_values():
    assert {name: f.kind for name, f in FACTS.items()} == CONTRACT
    assert FACTS["disability_category"].domain() == ("vision", "hearing", "speech", "physical", "intellectual",
                                                     "mental", "multiple")
    assert FACTS["household"].domain() == ("dibao", "low_income", "tekun", "none")
    assert FACTS["exit_cause"].domain() == ("employment", "self_employment", "other")
    assert (FACTS["age"].low, FACTS["age"].high) == (0, 120)
    assert FACTS["disability_grade"].domain() == (1, 2, 3, 4)
    assert (FACTS["months_employed"].low, FACTS["months_employed"].high) == (0, 600)


def test_every_fact_has_a_question_and_typable_options():
    for fact in FACTS.values():
        assert fact.question.endswith("？") or "？" in fact.question, fact.name
        for word, _ in fact.options():
            assert word and " " not in word and len(word) <= 8, (fact.name, word)
    assert FACTS["has_certificate"].options() == [("有", True), ("没有", False)]
    assert FACTS["household"].options()[-1] == ("都不是", "none")
    assert [w for w, _ in FACTS["disability_grade"].options()] == ["一级", "二级", "三级", "四级"]


@pytest.mark.parametrize("fact,value,says", [
    ("disability_grade", 2, "残疾等级为二级"), ("household", "dibao", "是低保家庭"), ("age", 7, "7岁"),
    ("has_certificate", False, "没有残疾人证"), ("disability_category", "vision", "残疾类别为视力残疾"),
    ("region", "330213", "户籍在浙江省宁波市奉化区"), ("exit_cause", "other", "收入增加是因为就业、创业以外的原因"),
    ("months_above_line", 4, "收入超过低保标准已有4个月"),
])
def test_describe(fact, value, says):
    assert FACTS[fact].describe(value) == says


GOOD = {"kind": "bool", "label": "是否孤儿", "question": "是不是孤儿？", "says": {True: "是孤儿", False: "不是孤儿"},
        "options": {True: "是", False: "不是"}, "terms": ["孤儿"]}


@pytest.mark.parametrize("change,message", [
    ({"kind": "maybe"}, "kind must be"),
    ({"colour": "red"}, "unknown field"),
    ({"question": ""}, "question"),
    ({"options": {True: "是"}}, "options"),
    ({"terms": ["孤兒"]}, "not normalised"),
    ({"terms": ["孤儿", "孤儿"]}, "listed twice"),
    ({"answers": {True: ["是的"], False: ["是的"]}}, "listed under both"),
    ({"option": "orphan"}, "--word"),
])
def test_a_bad_definition_is_refused(change, message):
    with pytest.raises(FactDefinitionError, match=message):
        load({"orphan": {**GOOD, **change}})


@pytest.mark.parametrize("raw,message", [
    ({"kind": "int", "label": "年龄", "question": "几岁？", "says": "{value}岁", "range": [5, 1]}, "range"),
    ({"kind": "int", "label": "等级", "question": "几级？", "says": "{label}", "range": [1, 4],
      "values": {7: {"label": "七级"}}}, "not a value"),
    ({"kind": "enum", "label": "类别", "question": "哪类？", "values": {"Vision": {"label": "视力"}}}, "not a value"),
    ({"kind": "enum", "label": "类别", "question": "哪类？", "values": {}}, "values"),
])
def test_bad_values_are_refused(raw, message):
    with pytest.raises(FactDefinitionError, match=message):
        load({"x": raw})


def test_the_knowledge_layer_imports_nothing_above_it():
    import ast
    from pathlib import Path

    for path in Path(__file__).resolve().parents[1].joinpath("knowledge").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                assert name.split(".")[0] not in ("rules", "bot", "actions"), (path.name, name)
