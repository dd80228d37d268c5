"""The project's copies of the source documents: they parse, keep the government's words, drop page furniture."""
from datetime import date

import pytest

from knowledge.sources import (SOURCE_KINDS, Document, find_clauses, load_clauses, load_documents,
                               normalise_section)

DOCUMENTS = {
    # id: (title, number, issuer, issued, valid_from, valid_to, place, kind)
    "chongming-2021-16": ("崇明区残疾人事业发展“十四五”规划", "沪崇府办发〔2021〕16号", "上海市崇明区人民政府办公室",
                          date(2021, 8, 27), date(2021, 8, 27), date(2025, 12, 31), "310151", "plan"),
    "fenghua-2022-1": ("宁波市奉化区残疾人事业发展“十四五”规划", "奉政发〔2022〕1号", "宁波市奉化区人民政府",
                       date(2022, 1, 20), date(2022, 1, 20), date(2025, 12, 31), "330213", "plan"),
    "shanxi-2022-9": ("山西省“十四五”残疾人保障和发展规划", "晋政发〔2022〕9号", "山西省人民政府",
                      date(2022, 3, 29), date(2022, 3, 29), date(2025, 12, 31), "140000", "plan"),
    "hulan-2018-14": ("哈尔滨市呼兰区残疾人工作三年行动计划(2018—2020年)", "哈呼政办规〔2018〕14号",
                      "哈尔滨市呼兰区人民政府办公室", date(2018, 5, 3), date(2018, 5, 3), date(2020, 12, 31),
                      "230111", "plan"),
    "jiaxing-14th": ("嘉兴市残疾人事业发展“十四五”规划（片段）", None, None, None,
                     date(2021, 1, 1), date(2025, 12, 31), "330400", "plan"),
    "national-2015-52": ("国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见", "国发〔2015〕52号", "国务院",
                         date(2015, 9, 25), date(2016, 1, 1), None, "000000", "national"),
    "local-shangrao": (None, None, None, None, None, None, "361100", "local-practice"),
    "local-lianyungang-2017": (None, None, None, None, None, None, "320700", "local-guide"),
    "news-2021-kuasheng": (None, None, None, None, date(2021, 4, 22), None, "000000", "news"),
    "national-2018-20": ("国务院关于建立残疾儿童康复救助制度的意见", "国发〔2018〕20号", "国务院",
                         None, date(2018, 10, 1), None, "000000", "national"),
    "national-2021-57": ("最低生活保障审核确认办法", "民发〔2021〕57号", "民政部",
                         None, date(2021, 7, 1), None, "000000", "national"),
    "national-2022-83": ("关于进一步做好最低生活保障等社会救助兜底工作的通知", "民发〔2022〕83号",
                         "民政部、中央农办、财政部、国家乡村振兴局", date(2022, 10, 20), date(2022, 10, 20), None,
                         "000000", "national"),
    "certificate-2017": ("中华人民共和国残疾人证管理办法", None, "中国残联", date(2017, 5, 27),
                         date(2018, 1, 1), None, "000000", "certificate"),
    "shanghai-2021-amounts": ("上海市残疾人两项补贴标准", None, "上海市发展和改革委员会", None,
                              None, None, "310000", "amounts"),
    "national-2026-social-assistance-law": ("中华人民共和国社会救助法", None, "全国人民代表大会常务委员会",
                                            date(2026, 4, 30), date(2026, 7, 1), None, "000000", "national"),
    "shanghai-2025-5": ("关于调整上海市“残疾人两项补贴”标准的通知", "沪民残福发〔2025〕5号",
                        "上海市民政局、上海市财政局、上海市残疾人联合会", date(2025, 8, 7), date(2025, 8, 7), None,
                        "310000", "amounts"),
    # records: facts this project wrote down from a dataset that names the official page (see their origin)
    "ningbo-2021-two-subsidies": (None, None, "宁波市民政局、宁波市财政局、宁波市残疾人联合会", date(2021, 12, 23),
                                  date(2022, 1, 1), date(2024, 5, 31), "330200", "record"),
    "ningbo-2024-two-subsidies": (None, None, "宁波市民政局、宁波市财政局、宁波市残疾人联合会", None,
                                  date(2024, 6, 1), None, "330200", "record"),
    "shanxi-2026-two-subsidies": (None, None, "山西省财政厅、山西省民政厅", date(2025, 12, 9),
                                  date(2026, 1, 1), None, "140000", "record"),
    "harbin-2025-living-subsidy": (None, None, "哈尔滨市人民政府办公厅", date(2025, 4, 11),
                                   date(2025, 4, 11), None, "230100", "record"),
    "zhejiang-2021-191": (None, "浙民福〔2021〕191号", "浙江省民政厅、浙江省财政厅、浙江省残疾人联合会", None,
                          date(2021, 12, 23), None, "330000", "record"),
    "zhejiang-care-tiers": (None, None, None, None, date(2024, 10, 24), None, "330000", "record"),
}

# (doc, section, quote): what the rules cite, found where they say.
QUOTES = [
    ("chongming-2021-16", "第四部分一（二）1", "确保困难残疾人生活补贴和重度残疾人护理补贴目标人群100%覆盖"),
    ("chongming-2021-16", "第一部分三", "制定落实《关于崇明区残疾儿童康复救助的实施办法》"),
    ("fenghua-2022-1", "三（二）1", "给予一定的渐退期"),
    ("fenghua-2022-1", "三（三）3", "未满18周岁残疾少年儿童获得康复服务与补贴“一个不少”"),
    ("fenghua-2022-1", "三（一）3", "扩大困难残疾人生活补贴和重度残疾人护理补贴覆盖面"),
    ("fenghua-2022-1", "主要指标", "2. 困难残疾人生活补贴覆盖率 >99% 约束性"),
    ("shanxi-2022-9", "三（二）推动残疾人就业法规政策有效落实", "给予6个月的渐退期"),
    ("shanxi-2022-9", "三（一）完善残疾人社会救助和社会保障体系", "纳入单独申请低保的范围"),
    ("shanxi-2022-9", "三（一）落实残疾人社会福利和社会优待政策", "逐步扩大补贴对象覆盖面"),
    ("hulan-2018-14", "四（三）2（4）", "前6个月内低保待遇不变"),
    ("hulan-2018-14", "四（二）2（1）", "组织开展0—6岁儿童残疾筛查"),
    ("jiaxing-14th", "（五）2", "0—6周岁残疾儿童康复服务与补贴比例达到100%"),
    ("national-2015-52", "补贴对象", "有条件的地方可扩大到非重度智力、精神残疾人或其他残疾人"),
    ("national-2018-20", "二（一）", "救助对象为符合条件的0—6岁"),
    ("national-2021-57", "第八条", "持有中华人民共和国残疾人证的一级、二级重度残疾人和三级智力残疾人、三级精神残疾人"),
    ("national-2021-57", "第三十三条", "可以给予一定时间的渐退期"),
    ("national-2022-83", "一（三）", "可给予原则上不超过6个月的渐退期"),
    ("national-2022-83", "一（一）", "成年无业重度残疾人可以参照“单人户”提出低保申请"),
    ("shanghai-2021-amounts", "生活补贴", "本市低收入家庭中的残疾人，补贴标准为每人每月290元"),
    ("certificate-2017", "第二条", "是认定残疾人及其残疾类别、残疾等级的合法凭证"),
    ("national-2026-social-assistance-law", "第二十一条", "对最低生活保障边缘家庭中的重度残疾人、重病患者以及确有特殊困难人员，可以纳入最低生活保障范围"),
    ("national-2026-social-assistance-law", "第四十五条", "决定不给予社会救助的，应当书面告知申请人并说明理由"),
    ("national-2026-social-assistance-law", "第五十四条", "建立和完善社会力量参与社会救助机制"),
    ("national-2026-social-assistance-law", "第七十八条", "本法自2026年7月1日起施行。"),
    ("local-shangrao", "地方做法", "纳入特困人员供养保障的残疾人不享受残疾人两项补贴"),
    ("local-lianyungang-2017", "申请", "申请残疾人两项补贴应持有第二代中华人民共和国残疾人证"),
]

FURNITURE = ["扫一扫", "返回顶部", "目 录", "编辑委员会", "索引号", "为本文选择", "关联稿件", "相关解读",
             "打印本页", "主办", "出刊日期", "发文字号", "印发给你们"]


def test_every_document_parses_with_its_metadata():
    documents = load_documents()
    # the national texts, the plans and the records behind the five plan places; the provinces' records
    # (rules/parameters, rules/places) are checked by their parser and by `zhucan rules lint`
    assert set(DOCUMENTS) <= set(documents)
    for doc_id, (title, number, issuer, issued, valid_from, valid_to, place, kind) in DOCUMENTS.items():
        d = documents[doc_id]
        if title is not None:
            assert d.title == title, doc_id
        assert (d.number, d.place, d.kind, d.valid_from, d.valid_to) == (
            number, place, kind, valid_from, valid_to), doc_id
        if kind not in ("local-practice", "local-guide", "news"):
            assert (d.issuer, d.issued) == (issuer, issued), doc_id
        assert d.origin.strip(), doc_id
        assert any(c.doc == doc_id for c in load_clauses()), f"{doc_id} has no clauses"


def test_publication_dates_and_urls():
    documents = load_documents()
    assert documents["chongming-2021-16"].published == date(2021, 9, 7)
    assert documents["shanxi-2022-9"].published == date(2022, 4, 1)
    assert documents["shanghai-2021-amounts"].published == date(2021, 12, 27)
    assert documents["national-2015-52"].url == "https://www.gov.cn/zhengce/zhengceku/2015-09/25/content_10181.htm"
    assert "片段" in documents["jiaxing-14th"].title and "descriptive" in documents["jiaxing-14th"].notes


def test_the_law_is_whole_and_every_article_is_addressable():
    articles = {c.section for c in load_clauses() if c.doc == "national-2026-social-assistance-law"}
    assert len(articles) == 78 and "第五十四条" in articles and "第四章" not in "".join(articles)
    (items,) = [c for c in find_clauses("national-2026-social-assistance-law", "第七十条") if c.para == 8]
    assert items.text.startswith("（七）其他滥用职权")
    law = load_documents()["national-2026-social-assistance-law"]
    assert law.url.startswith("https://flk.npc.gov.cn/") and law.in_force_clause == "第七十八条"


def test_records_say_what_kind_of_page_they_rest_on():
    for doc in load_documents().values():
        if doc.kind == "record":
            assert doc.url and doc.source_kind in SOURCE_KINDS, doc.id
            # our own statement, never the official words, and it names where its facts come from: the
            # public dataset, or a page seen through the search tool's stored copy
            assert "not an official text" in doc.origin, doc.id
            assert "canzhutong" in doc.origin or "`search`" in doc.origin, doc.id
    assert load_documents()["shanxi-2026-two-subsidies"].source_kind == "secondary"  # a city's repost: 转引


def test_citation():
    documents = load_documents()
    assert documents["shanxi-2022-9"].citation() == "山西省“十四五”残疾人保障和发展规划（晋政发〔2022〕9号）"
    assert documents["jiaxing-14th"].citation() == "嘉兴市残疾人事业发展“十四五”规划（片段）"


def test_no_page_furniture_survives():
    for clause in load_clauses():
        for word in FURNITURE:
            assert word not in clause.text, (clause.id, word)
        assert "\n" not in clause.text and clause.text == clause.text.strip(), clause.id


def test_fenghua_gazette_lines_are_joined_and_the_english_and_is_gone():
    clauses = [c for c in load_clauses() if c.doc == "fenghua-2022-1"]
    assert clauses
    text = "".join(c.text for c in clauses)
    assert "具有独立法人资格" in text
    assert "社会组织和新媒体组织" in text
    assert not any("and" in c.text for c in clauses)
    assert "和" in load_documents()["fenghua-2022-1"].notes


def test_hulan_has_no_stray_piece_of_another_plan():
    assert not any("支持自主创业" in c.text for c in load_clauses() if c.doc == "hulan-2018-14")


def test_indicator_tables_are_one_clause_per_row():
    rows = find_clauses("fenghua-2022-1", "主要指标")
    assert len(rows) == 14 and rows[2].text == "3. 重度残疾人护理补贴覆盖率 >99% 约束性"
    rows = find_clauses("chongming-2021-16", "第三部分三崇明区残疾人事业发展“十四五”规划主要指标")
    assert len(rows) == 14 and rows[6].text == "7 困难残疾人精准帮扶覆盖率 % ≥95 约束性"


@pytest.mark.parametrize("doc, section, quote", QUOTES)
def test_quotes_are_found_in_their_sections(doc, section, quote):
    clauses = find_clauses(doc, section)
    assert clauses, f"{doc} has no section {section}"
    assert any(quote in c.text for c in clauses), f"{quote} not in {doc} {section}"


def test_clause_fields():
    (clause,) = find_clauses("chongming-2021-16", "第四部分一（二）1")
    assert clause.title == "健全残疾人社会救助体制机制"
    assert clause.path == "第四部分:主要任务 / 一、着力提高残疾人民生保障水平 / (二)强化残疾人社会保障 / 1.健全残疾人社会救助体制机制。"
    assert clause.para == 1 and clause.text.startswith("构建以最低生活保障")
    assert clause.id == "chongming-2021-16/第四部分一（二）1/1"
    (lead,) = find_clauses("shanxi-2022-9", "三（一）落实残疾人社会福利和社会优待政策")
    assert lead.title == "落实残疾人社会福利和社会优待政策"
    assert lead.text.startswith("落实残疾人社会福利和社会优待政策。完善困难残疾人生活补贴")
    article = find_clauses("national-2021-57", "第八条")
    assert [c.para for c in article] == [1, 2, 3, 4, 5, 6]
    assert article[0].text == "符合下列情形之一的人员，可以单独提出申请："
    assert article[0].path == "第二章 申请和受理 / 第八条"


def test_sections_compare_across_parenthesis_widths_and_spaces():
    assert normalise_section("四(三)2(4)") == normalise_section("四（三） 2（4）") == "四（三）2（4）"
    assert find_clauses("hulan-2018-14", "四(三)2(4)") == find_clauses("hulan-2018-14", "四（三）2（4）")
    assert find_clauses("hulan-2018-14", "二(一)")  # scraped as "一)", read as （一）


def test_clause_ids_are_unique_and_in_document_order():
    clauses = load_clauses()
    assert len({c.id for c in clauses}) == len(clauses)
    shanxi = [c for c in clauses if c.doc == "shanxi-2022-9"]
    assert shanxi[0].section == "" and shanxi[-1].section == "五"


def test_expired():
    documents = load_documents()
    assert documents["shanxi-2022-9"].expired(date(2026, 11, 24))
    assert not documents["shanxi-2022-9"].expired(date(2024, 6, 1))
    assert not documents["shanxi-2022-9"].expired(date(2025, 12, 31))
    assert not documents["national-2018-20"].expired(date(2100, 1, 1))
    assert documents["hulan-2018-14"].expired(date(2021, 1, 1))


GOOD = """---
id: {id}
title: 测试文件
number: null
issuer: null
issued: null
valid_from: 2021-01-01
valid_to: null
place: "000000"
kind: national
origin: written by the test
url: null
notes: null
---

# 一、总则

第一段。
"""


def test_a_good_file_in_another_directory(tmp_path):
    (tmp_path / "good.md").write_text(GOOD.format(id="good"), encoding="utf-8")
    (clause,) = load_clauses(tmp_path)
    assert clause.id == "good/一/1" and clause.title == "总则"
    assert isinstance(load_documents(tmp_path)["good"], Document)


@pytest.mark.parametrize("name, text, where", [
    ("unclosed.md", GOOD.format(id="unclosed").replace("notes: null\n---", "notes: null"), "unclosed.md:1"),
    ("missing.md", GOOD.format(id="missing").replace("kind: national\n", ""), "kind"),
    ("wrapped.md", GOOD.format(id="wrapped") + "\n第二段的前半，\n后半。\n", "wrapped.md:21"),
    ("dup.md", GOOD.format(id="dup") + "\n# 一、又一个总则\n\n重复。\n", "duplicate clause id dup/一/1"),
    ("place.md", GOOD.format(id="place").replace('"000000"', "000000"), "place"),
    ("date.md", GOOD.format(id="date").replace("2021-01-01", "2021年1月1日"), "valid_from"),
    ("badyaml.md", GOOD.format(id="badyaml").replace("title: 测试文件", "title: [unclosed"), "badyaml.md"),
    ("record.md", GOOD.format(id="record").replace("kind: national", "kind: record"), "url and source_kind"),
    ("skind.md", GOOD.format(id="skind").replace("notes: null", "notes: null\nsource_kind: rumour"), "source_kind"),
])
def test_a_malformed_file_fails_loudly_naming_the_file(tmp_path, name, text, where):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_clauses(tmp_path)
    assert name in str(err.value) and where in str(err.value)


def test_a_citation_names_the_document_number_once():
    for doc in load_documents().values():
        if doc.number:
            assert doc.citation().count(doc.number) == 1, doc.citation()
