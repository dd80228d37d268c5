"""The profile: what we know about one person (CONTRACT.md section 1).

Every key is optional and a missing key means "not known yet", never "no" or 0. A value outside its
type or range is an error that names the key, the value and what is allowed: it never reaches the
engine and is never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


class ProfileError(ValueError):
    """A bad profile key or value. `key` and `value` say which; the message says what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}: {value!r} is not allowed; {allowed}")


@dataclass(frozen=True)
class Fact:
    name: str
    kind: str  # "bool" | "int" | "enum" | "region"
    label: str  # how a person would name it, in Chinese
    values: tuple = ()  # enum values
    low: int = 0
    high: int = 0

    def allowed(self) -> str:
        if self.kind == "bool":
            return "allowed: true or false"
        if self.kind == "int":
            return f"allowed: a whole number from {self.low} to {self.high}"
        if self.kind == "enum":
            return "allowed: " + ", ".join(self.values)
        return "allowed: a 6-digit administrative division code or a place name"

    def allowed_zh(self) -> str:
        """What a person may answer, in Chinese, for a question asked again."""
        if self.kind == "bool":
            return "请回答 是 或 否"
        if self.kind == "int":
            return f"请说一个{self.low}到{self.high}之间的整数"
        if self.kind == "enum":
            from knowledge.lexicon import lexicon

            return "可以说：" + "、".join(lexicon().label(self.name, v) for v in self.values)
        return "请说省、市或区县的名称"

    def domain(self) -> tuple:
        """Every value a finite fact can take (for working out which questions settle a verdict)."""
        if self.kind == "bool":
            return (True, False)
        if self.kind == "enum":
            return self.values
        if self.kind == "int" and self.high - self.low <= 10:
            return tuple(range(self.low, self.high + 1))
        return ()


CATEGORIES = ("vision", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
HOUSEHOLDS = ("dibao", "low_income", "tekun", "none")
EXIT_CAUSES = ("employment", "self_employment", "other")

FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact("region", "region", "户籍所在地"),
        Fact("age", "int", "年龄", low=0, high=120),
        Fact("has_certificate", "bool", "是否持有残疾人证"),
        Fact("disability_category", "enum", "残疾类别", values=CATEGORIES),
        Fact("disability_grade", "int", "残疾等级", low=1, high=4),
        Fact("autism", "bool", "是否确诊孤独症"),
        Fact("needs_long_term_care", "bool", "是否因残疾需要长期照护"),
        Fact("household", "enum", "家庭低保等情况", values=HOUSEHOLDS),
        Fact("in_welfare_institution", "bool", "是否由儿童福利机构收留抚养"),
        Fact("orphan", "bool", "是否孤儿"),
        Fact("employed", "bool", "现在是否有工作或在经营"),
        Fact("exit_cause", "enum", "家庭收入增加的原因", values=EXIT_CAUSES),
        Fact("income_above_line", "bool", "家庭人均收入是否已超过当地低保标准"),
        Fact("months_above_line", "int", "收入超过低保标准已有几个月", low=0, high=600),
        Fact("months_employed", "int", "开始工作已有几个月", low=0, high=600),
    )
}


def check_value(key: str, value: Any) -> Any:
    """Return the value in canonical form, or raise ProfileError."""
    fact = FACTS.get(key)
    if fact is None:
        raise ProfileError(key, value, "unknown key; known keys: " + ", ".join(FACTS))
    if fact.kind == "bool":
        if isinstance(value, bool):
            return value
    elif fact.kind == "int":
        # JSON has no int/float split: 3.0 is 3, but 3.5 and true are errors.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and fact.low <= value <= fact.high:
            return value
    elif fact.kind == "enum":
        if isinstance(value, str) and value in fact.values:
            return value
    elif fact.kind == "region":
        if isinstance(value, str) and value.strip():
            return resolve_region(value)
    raise ProfileError(key, value, fact.allowed())


# Typed answers and CSV cells: yes/no words, and the words for a closed set's value that are answers
# rather than terms of the lexicon ("都不是" to the household question).
YES = {"yes", "y", "true", "1", "是", "有", "对"}
NO = {"no", "n", "false", "0", "否", "没有", "无", "不是"}
ANSWER_WORDS = {
    "exit_cause": {"就业": "employment", "上班": "employment", "创业": "self_employment",
                   "自主创业": "self_employment", "其他": "other"},
    "household": {"都不是": "none", "不是": "none", "没有": "none"},
}


def parse_value(key: str, text: str) -> Any:
    """A typed value (a command-line option, a CSV cell, a one-word answer) -> the fact's canonical
    value: yes/no words, numbers in any form ("五", "5岁"), the lexicon's words for a closed set
    ("肢体", "低保"), place names. Raises ProfileError saying what is allowed."""
    fact = FACTS.get(key)
    if fact is None:
        return check_value(key, text)  # the error names the known keys
    raw = text.strip()
    value: Any = raw
    if fact.kind == "bool":
        if raw.lower() in YES:
            value = True
        elif raw.lower() in NO:
            value = False
        else:
            raise ProfileError(key, text, "allowed: yes or no (是/否)")
    elif fact.kind == "int":
        from knowledge.textnorm import parse_number

        value = parse_number(raw.rstrip("岁级个月"))
        if value is None:
            raise ProfileError(key, text, fact.allowed())
    elif fact.kind == "enum" and raw not in fact.values:
        from knowledge.lexicon import lexicon

        word = ANSWER_WORDS.get(key, {}).get(raw)
        found = word if word is not None else lexicon().lookup(key, raw)
        value = found if found is not None else raw
    return check_value(key, value)


def resolve_region(text: str) -> str:
    """A code or a place name → the 6-digit code, via the gazetteer (errors list the candidates)."""
    from knowledge.gazetteer import PlaceError, gazetteer

    try:
        return gazetteer().resolve(text).code
    except PlaceError as err:
        raise ProfileError("region", text, str(err)) from err


def validate_profile(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check every key and value; a JSON null counts as "not known" and is dropped."""
    if not isinstance(data, Mapping):
        raise ProfileError("profile", data, "a profile is a JSON object of facts")
    return {key: check_value(key, value) for key, value in data.items() if value is not None}
