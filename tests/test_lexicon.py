"""The lexicon: every domain term once, the facts' words and the programmes' and subjects'."""
import pytest

from knowledge.facts import FACTS
from knowledge.lexicon import Lexicon, Term, lexicon


@pytest.fixture(scope="module")
def lex():
    return lexicon()


@pytest.mark.parametrize("kind,text,value", [
    ("household", "吃低保", "dibao"), ("household", "低保户", "dibao"), ("household", "最低生活保障", "dibao"),
    ("household", "低保边缘", "low_income"), ("household", "边缘户", "low_income"), ("household", "低边", "low_income"),
    ("household", "五保户", "tekun"), ("household", "特困供养", "tekun"), ("household", "普通家庭", "none"),
    ("disability_category", "看不见", "vision"), ("disability_category", "盲人", "vision"),
    ("disability_category", "眼睛看不见", "vision"), ("disability_category", "耳聋", "hearing"),
    ("disability_category", "听不见", "hearing"), ("disability_category", "哑巴", "speech"),
    ("disability_category", "哑巴", "speech"), ("disability_category", "偏瘫", "physical"),
    ("disability_category", "截肢", "physical"), ("disability_category", "智障", "intellectual"),
    ("disability_category", "精神分裂", "mental"), ("disability_category", "多重残疾", "multiple"),
    ("disability_category", "肢体", "physical"),
    ("disability_grade", "一级", 1), ("disability_grade", "2级", 2), ("disability_grade", "三级残疾", 3),
    ("disability_grade", "四级", 4),
    ("autism", "自闭症", True), ("autism", "孤独症", True),
    ("has_certificate", "残疾证", True), ("needs_long_term_care", "卧床", True),
    ("in_welfare_institution", "福利院", True), ("orphan", "孤儿", True), ("employed", "上班", True),
    ("exit_cause", "找到工作", "employment"), ("exit_cause", "做生意", "self_employment"),
    ("exit_cause", "个体户", "self_employment"), ("exit_cause", "打工", "employment"),
    ("programs", "护理补贴", "care_subsidy"), ("programs", "护理费", "care_subsidy"),
    ("programs", "重残护理补贴", "care_subsidy"), ("programs", "生活补贴", "living_subsidy"),
    ("programs", "困难补贴", "living_subsidy"), ("programs", "渐退期", "dibao_gradual_exit"),
    ("programs", "康复救助", "child_rehab_aid"), ("programs", "孩子康复", "child_rehab_aid"),
    ("programs", "单人户", "dibao_individual"), ("programs", "单独申请低保", "dibao_individual"),
    ("programs", "两项补贴", ("living_subsidy", "care_subsidy")),
    ("subject", "我爸", "father"), ("subject", "俺娘", "mother"), ("subject", "闺女", "daughter"),
    ("subject", "老伴", "spouse"), ("subject", "孩子", "child"),
])
def test_lookup(lex, kind, text, value):
    assert lex.lookup(kind, text) == value


def test_lookup_normalises_and_misses(lex):
    assert lex.lookup("programs", "護理補貼") == "care_subsidy"
    assert lex.lookup("programs", " 护理补贴 ") == "care_subsidy"
    assert lex.lookup("household", "低　保") == "dibao"
    assert lex.lookup("household", "火星") is None
    assert lex.lookup("household", "看不见") is None  # a term of another kind
    assert lex.lookup("no_such_kind", "低保") is None
    assert lex.lookup("disability_category", "孤独症") is None  # autism is its own fact


def test_labels(lex):
    assert lex.label("disability_category", "vision") == "视力残疾"
    assert lex.label("disability_category", "physical") == "肢体残疾"
    assert lex.label("household", "dibao") == "低保家庭"
    assert lex.label("disability_grade", 1) == "一级"
    assert lex.label("programs", ("living_subsidy", "care_subsidy")) == "残疾人两项补贴"
    with pytest.raises(KeyError):  # a single programme's name is the title of its file, in rules/
        lex.label("programs", "care_subsidy")
    with pytest.raises(KeyError):
        lex.label("disability_category", "martian")


def test_every_contract_value_has_a_label(lex):
    import yaml

    from rules.model import PROGRAMS_DIR

    for name, fact in FACTS.items():
        if fact.kind == "enum":
            for value in fact.values:
                assert lex.label(name, value), (name, value)
    for grade in range(1, 5):
        assert lex.label("disability_grade", grade)
    programs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(PROGRAMS_DIR.glob("*.yaml"))]
    assert {"living_subsidy", "care_subsidy", "dibao_gradual_exit", "child_rehab_aid",
            "dibao_individual"} <= {p["program"] for p in programs}
    for p in programs:  # every programme has words (zhucan rules lint checks it too)
        assert sum(1 for _, kind, value in lex.entries() if kind == "programs" and value == p["program"]) >= 3


def test_entries(lex):
    entries = list(lex.entries())
    assert len(entries) > 250
    assert ("吃低保", "household", "dibao") in entries
    assert ("两项补贴", "programs", ("living_subsidy", "care_subsidy")) in entries
    assert ("视力残疾", "disability_category", "vision") in entries  # labels are terms too
    assert set(lex.kinds) >= {"disability_category", "disability_grade", "household", "exit_cause", "programs",
                              "subject", "autism", "has_certificate", "needs_long_term_care",
                              "in_welfare_institution", "orphan", "employed"}
    for term, kind, value in entries:
        assert lex.lookup(kind, term) == value, term
    t = lex.term("disability_category", "vision")
    assert isinstance(t, Term) and t.label == "视力残疾" and "看不见" in t.terms


def _lex(data):
    return Lexicon(data, source="test")


@pytest.mark.parametrize("data,message", [
    ({"colour": {"red": {"terms": ["红"]}}}, "colour"),
    ({"household": {"rich": {"label": "有钱", "terms": []}}}, "household"),  # a fact's words are in facts.yaml
    ({"programs": {"Flying": {"terms": ["飞行补贴"]}}}, "identifier"),
    ({"programs": {"care_subsidy": {"label": "护理", "terms": []}}}, "title"),
    ({"programs": {"care_subsidy": {"terms": ["护理补贴"]}, "living_subsidy": {"terms": ["护理补贴"]}}}, "护理补贴"),
    ({"programs": {"care_subsidy": {"terms": ["護理補貼"]}}}, "護理補貼"),
    ({"programs": {"care_subsidy": {"terms": ["护理 补贴"]}}}, "护理 补贴"),
    ({"programs": {"a+b": {"terms": ["两项"]}}}, "label"),
    ({"subject": {"father": {"terms": ["爸"], "label": "父亲", "note": "x"}}}, "note"),
    ({"replies": {"affirm": ["是"], "deny": ["是"]}}, "also under"),
    ({"replies": {"maybe": ["也许"]}}, "replies"),
])
def test_validation_errors(data, message):
    with pytest.raises(ValueError, match=message):
        _lex(data)


def test_a_programme_id_the_rules_do_not_have_is_found_by_the_lint():
    from rules.lint import check_lexicon

    assert check_lexicon({"living_subsidy", "care_subsidy", "dibao_gradual_exit", "child_rehab_aid",
                          "dibao_individual"}) == []
    problems = [str(p) for p in check_lexicon({"living_subsidy", "care_subsidy", "flying_subsidy"})]
    assert any("no programme 'child_rehab_aid'" in p for p in problems)
    assert any("flying_subsidy has no words" in p for p in problems)


@pytest.mark.parametrize("kind,text,acted", [
    ("restart", "从头来吧", True),
    ("restart", "算了重新来吧", True),
    ("restart", "可以重新开始吗", True),  # a request put as a question
    ("restart", "从哪个月开始发钱", False),  # 开始 is not a restart
    ("restart", "重新申请要带什么", False),  # a question
    ("restart", "我们家前年因为孩子上学的事重新办过一次户口", False),  # too long to be a command
    ("forget", "把我刚才说的都删除掉", True),
    ("forget", "你们别记我的信息", True),
    ("forget", "能删掉我的信息吗", True),
    ("forget", "能不能把我的记录删了", True),
    ("forget", "删了还能恢复吗", False),
    ("forget", "你们会保存我的信息吗", False),
    ("forget", "从头来吧", False),  # a restart is not a forget
])
def test_a_command_is_only_acted_on_when_asked_for(lex, kind, text, acted):
    assert lex.command(kind, text) is acted


def test_a_question_is_told_from_a_statement():
    from knowledge.language import asks

    assert asks("残疾证怎么办") and asks("要带啥") and asks("能领吗？")
    assert not asks("还没有去办残疾证") and not asks("证件都办好了")


def test_replies_and_adults(lex):
    assert "嗯" in lex.replies("affirm") and "用不着" in lex.replies("deny") and "yes" in lex.replies("affirm")
    assert "拿不准" in lex.replies("unsure") and "不晓得" in lex.replies("dont_know")
    assert lex.adult("father") and lex.adult("spouse") and not lex.adult("child") and not lex.adult("son")


def test_file_terms_are_unique_within_each_kind(lex):
    seen = {}
    for term, kind, value in lex.entries():
        assert seen.setdefault((kind, term), value) == value
