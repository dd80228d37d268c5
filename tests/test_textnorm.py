"""Text normalisation and numbers, written every way people write them."""
import pytest

from knowledge.textnorm import find_numbers, find_quantities, normalise, parse_number


@pytest.mark.parametrize("text,expected", [
    ("４岁", "4岁"), ("ＡＢＣ１２３", "ABC123"),
    ("崇明區的護理補貼", "崇明区的护理补贴"),
    ("  我爸   在\t太原 ", "我爸 在 太原"),
    ("我　在　太原", "我 在 太原"),  # ideographic spaces
    ("能领吗？可以，谢谢！", "能领吗？可以，谢谢！"),  # Chinese punctuation kept
    ("低保、特困。", "低保、特困。"),
    ("", ""),
])
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_normalise_is_idempotent():
    for text in ("崇明區　４岁，能領嗎？", "我爸肢体一级，在太原"):
        once = normalise(text)
        assert normalise(once) == once


@pytest.mark.parametrize("text,value", [
    ("4", 4), ("４", 4), ("四", 4), ("两", 2), ("二", 2), ("十", 10), ("十七", 17), ("二十", 20),
    ("一百二十", 120), ("零", 0), ("17", 17), (" 6 ", 6), ("两百", 200),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "四岁", "1.5", "一些", "万一", "半"])
def test_parse_number_rejects(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text,value,unit", [
    ("4岁", 4, "岁"), ("四岁", 4, "岁"), ("4 岁", 4, "岁"), ("４岁", 4, "岁"), ("17岁", 17, "岁"),
    ("十七周岁", 17, "周岁"), ("二级", 2, "级"), ("2级", 2, "级"), ("一级", 1, "级"), ("1级", 1, "级"),
    ("两个月", 2, "个月"), ("六个月了", 6, "个月"), ("3个月", 3, "个月"), ("8月", 8, "月"), ("两年", 2, "年"),
    ("我孩子四岁半", 4, "岁"), ("我爸肢体一级，在太原", 1, "级"), ("上班二十一个月", 21, "个月"),
])
def test_find_numbers_with_units(text, value, unit):
    found = find_numbers(text)
    assert [(v, u) for _, _, v, u in found] == [(value, unit)]
    start, end, _, _ = found[0]
    assert text[start:end].endswith(unit)


def test_find_numbers_positions_and_mixed_text():
    assert find_numbers("我孩子四岁半") == [(3, 5, 4, "岁")]
    assert find_numbers("孩子7岁，二级，低保两年") == [(2, 4, 7, "岁"), (5, 7, 2, "级"), (10, 12, 2, "年")]
    assert find_numbers("两项补贴") == [(0, 1, 2, None)]
    assert find_numbers("1.5岁") == []  # not a whole number
    assert find_numbers("没有数字") == []


@pytest.mark.parametrize("text,low,high", [
    ("七十好几", 72, 79), ("快六十了", 58, 59), ("二十出头", 21, 24), ("两三个月", 2, 3), ("一年多", 13, 23),
    ("十七八岁", 17, 18), ("不到六岁", 0, 5),
    # what is missing says it is just under: 5, not 6
    ("差两个月满六岁", 5, 5), ("还差半年七岁", 6, 6), ("马上六岁了", 4, 5),
])
def test_approximate_quantities_are_the_range_they_could_be(text, low, high):
    from knowledge.textnorm import find_quantities

    found = find_quantities(text)
    assert [(q.low, q.high) for q in found] == [(low, high)]


def test_ages_said_by_the_name_of_their_decade():
    assert [tuple(q)[2:4] for q in find_quantities("年过七旬")] == [(71, 79)]
    assert [tuple(q)[2:4] for q in find_quantities("刚过花甲")] == [(60, 62)]
    assert [tuple(q)[2:4] for q in find_quantities("六十大几了")] == [(65, 69)]
