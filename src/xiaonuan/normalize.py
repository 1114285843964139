"""Text normalisation before speech: digits, symbols and acronyms rewritten as words.

eSpeak NG reads raw digits and symbols poorly in Mandarin (2021年 as a number, 1 never as
幺, 27% as "percent"), so the voice reads `Normalized.text` while subtitles keep showing
the written source. `Normalized.to_source` maps a character offset in the spoken text back
to the source, which is how word timings reach subtitle characters.

Readings follow a news anchor: 两 (not 二) before 千/万/亿 and before a measure word
(两个, 两公里), 二 before 百 and everywhere else (二百, 第二, 二月); years digit by digit;
phone numbers digit by digit with 1 as 幺. English years are read in pairs (nineteen
ninety-nine) for bare four-digit numbers 1100–2099; larger counts are written with commas.
Text no rule understands is left as it is; no input raises.
"""

from __future__ import annotations

import bisect
import re
from decimal import Decimal
from dataclasses import dataclass
from typing import Callable

MAX_NUMBER_DIGITS = 16  # a longer digit run is read digit by digit (no one says 万万亿)

Piece = tuple[int, int, str]  # (source start, source end, reading) inside a match
Handler = Callable[[re.Match], "list[Piece] | None"]


@dataclass(frozen=True)
class Normalized:
    """Spoken text, its source, and the rewritten pieces as (src_start, src_end, out_start, out_end)."""

    text: str
    source: str
    spans: tuple[tuple[int, int, int, int], ...]

    def to_source(self, out_pos: int) -> int:
        """Source offset of spoken offset `out_pos`: a rewritten piece maps to its source start."""
        i = bisect.bisect_right(self.spans, out_pos, key=lambda s: s[2]) - 1
        if i < 0:
            src = out_pos
        elif out_pos < self.spans[i][3]:
            src = self.spans[i][0]
        else:
            src = self.spans[i][1] + out_pos - self.spans[i][3]
        return min(max(src, 0), len(self.source))

    def source_span(self, out_start: int, out_end: int) -> tuple[int, int]:
        """Source [start, end) of spoken [out_start, out_end): an end inside a piece takes the piece's end."""
        start = self.to_source(out_start)
        if out_end <= out_start:
            return start, start
        last = self.to_source(out_end - 1)
        i = bisect.bisect_right(self.spans, out_end - 1, key=lambda s: s[2]) - 1
        inside = i >= 0 and self.spans[i][2] <= out_end - 1 < self.spans[i][3]
        end = self.spans[i][1] if inside else last + 1
        return start, min(max(end, start), len(self.source))


def normalize(text: str, language: str) -> Normalized:
    """Rewrite `text` ("zh" or "en"; anything else is returned unchanged) into words a voice reads well.

    >>> normalize("增长27%。", "zh").text
    '增长百分之二十七。'
    """
    text = text if isinstance(text, str) else ""
    rules = {"zh": _ZH_RULES, "en": _EN_RULES}.get(language)
    if rules is None:
        return Normalized(text, text, ())
    return _rewrite(text, rules, pad=language == "en")


# ---------------------------------------------------------------------------------------------
# The rewriting engine: rules are (pattern, handler), tried in order where a trigger character sits.

@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern
    handler: Handler


# Full-width ASCII (０-９, Ａ-Ｚ, ％, ：, －, ＄ …) matches like ASCII; the full-width comma does not,
# because "2020，300家" is two numbers. One character maps to one, so offsets stay the same.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if c != 0xFF0C} | {0xFFE5: ord("¥")}
_TRIGGER = re.compile(r"[0-9A-Za-z$¥£€%‰℃℉°&~\-−–— ±<>≤≥≈/#]")


class _Builder:
    def __init__(self, source: str, pad: bool) -> None:
        self.source, self.pad = source, pad
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, int, int]] = []
        self.length = 0

    def copy(self, a: int, b: int) -> None:
        if b > a:
            self.parts.append(self.source[a:b])
            self.length += b - a

    def emit(self, a: int, b: int, reading: str) -> None:
        src = self.source[a:b]
        if self.pad and reading:  # English: a reading never runs into a neighbouring word
            if self.parts and self.parts[-1][-1:].isalnum() and reading[0].isalnum():
                reading = " " + reading
            if b < len(self.source) and self.source[b].isalnum() and reading[-1].isalnum():
                reading += " "
        p = 0
        while p < min(len(src), len(reading)) and src[p] == reading[p]:
            p += 1
        s = 0
        while s < min(len(src), len(reading)) - p and src[-1 - s] == reading[-1 - s]:
            s += 1
        if src == reading:
            self.copy(a, b)
            return
        self.copy(a, a + p)
        mid = reading[p:len(reading) - s]
        self.spans.append((a + p, b - s, self.length, self.length + len(mid)))
        self.parts.append(mid)
        self.length += len(mid)
        self.copy(b - s, b)


def _rewrite(text: str, rules: tuple[_Rule, ...], pad: bool) -> Normalized:
    work = text.translate(_FULLWIDTH)
    out = _Builder(text, pad)
    pos = 0
    while pos < len(text):
        trigger = _TRIGGER.search(work, pos)
        if trigger is None:
            break
        start = trigger.start()
        out.copy(pos, start)
        pieces, end = _apply(rules, work, start)
        if pieces is None:
            out.copy(start, start + 1)
            pos = start + 1
            continue
        cursor = start
        for a, b, reading in sorted(pieces):
            if a < cursor or b > end or b < a:
                continue  # a handler bug must not corrupt the alignment
            out.copy(cursor, a)
            out.emit(a, b, reading)
            cursor = b
        out.copy(cursor, end)
        pos = end
    out.copy(pos, len(text))
    return Normalized("".join(out.parts), text, tuple(out.spans))


def _apply(rules: tuple[_Rule, ...], work: str, start: int) -> tuple[list[Piece] | None, int]:
    for rule in rules:
        m = rule.pattern.match(work, start)
        if m is None or m.end() <= start:
            continue
        try:
            pieces = rule.handler(m)
        except (ValueError, IndexError, KeyError, OverflowError, TypeError):
            pieces = None  # promised: never raise; the text stays as written
        if pieces is not None:
            return pieces, m.end()
    return None, start


def _whole(m: re.Match, reading: str) -> list[Piece]:
    return [(m.start(), m.end(), reading)]


def _group(m: re.Match, g: int | str, reading: str) -> Piece:
    return (m.start(g), m.end(g), reading)


def _rule(pattern: str, handler: Handler) -> _Rule:
    return _Rule(re.compile(pattern), handler)


# A number: version-like 1.2.3, thousands-separated 1,234,567.8, or plain 123 / 3.14.
_NUM = r"[0-9]+(?:\.[0-9]+){2,}|[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
# A minus sign that is a sign, not a dash: nothing number-like or word-like right before it.
_SIGN = r"(?P<sign>(?<![0-9A-Za-z%‰.)\]])[-−])?"
_RANGE_DASH = r"[-~–—]"
_NOT_AFTER_DIGIT = r"(?<![0-9.])"


def _split_number(s: str) -> tuple[str, str]:
    whole, _, frac = s.replace(",", "").partition(".")
    return whole, frac


def _spaced(letters: str) -> str:
    """Letters to be said one by one: AI → A-I. eSpeak says hyphen-joined capitals as letter names, where
    "A I" made the A an article ("uh-I") in both the English and the Mandarin voice."""
    return "-".join(letters)


# ---------------------------------------------------------------------------------------------
# Mandarin readings.

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_PLACES = ((3, "千"), (2, "百"), (1, "十"), (0, ""))
_ZH_SECTIONS = ("", "万", "亿", "万亿")
# A lone 2 before one of these is 两 (两个, 两公里); not after 第 (第二名) and not in dates (二月).
_ZH_MEASURE = (r"万|亿|千|个|位|名|次|天|件|只|辆|家|种|条|本|张|台|架|艘|双|对|场|倍|岁|周|小时|分钟|元|块|米|"
               r"公里|公斤|千克|克|吨|人|项|份|所|座|股|点|年(?!级)|km|kg|g(?![A-Za-z])|t(?![A-Za-z])|h(?![A-Za-z])")
_ZH_UNITS = {"km/h": "公里每小时", "km²": "平方公里", "km2": "平方公里", "m²": "平方米", "㎡": "平方米",
             "m³": "立方米", "km": "公里", "kg": "公斤", "cm": "厘米", "mm": "毫米", "mg": "毫克", "ml": "毫升",
             "mL": "毫升", "kWh": "千瓦时", "kW": "千瓦", "MW": "兆瓦", "GW": "吉瓦", "m": "米", "g": "克",
             "t": "吨", "L": "升", "h": "小时", "min": "分钟", "℃": "摄氏度", "°C": "摄氏度", "° C": "摄氏度",
             "°F": "华氏度", "℉": "华氏度", "°": "度", "nm": "纳米", "Hz": "赫兹", "kHz": "千赫兹",
             "MHz": "兆赫兹", "GHz": "吉赫兹", "mAh": "毫安时", "W": "瓦"}
_ZH_COMPARE = {"±": "正负", "<": "小于", ">": "大于", "≤": "小于等于", "≥": "大于等于", "≈": "约"}
_ZH_CURRENCY = {"$": "美元", "US$": "美元", "HK$": "港元", "¥": "元", "€": "欧元", "£": "英镑"}
_TEMPERATURE = ("℃", "°C", "° C", "°F", "℉")


def zh_digits(digits: str, *, phone: bool = False) -> str:
    """Digit by digit: 2021 → 二零二一; phone numbers read 1 as 幺."""
    out = "".join(_ZH_DIGITS[int(d)] if d.isdigit() else " " for d in digits if d.isdigit() or d in "- ")
    return out.replace("一", "幺") if phone else out


def zh_integer(n: int) -> str:
    """An integer below 10^16 in 万/亿 grouping: 10 → 十, 110 → 一百一十, 1005 → 一千零五, 20000 → 两万."""
    if n == 0:
        return "零"
    sections = [(n // 10_000 ** i) % 10_000 for i in range(len(_ZH_SECTIONS))]
    out, gap = "", False
    for i in reversed(range(len(_ZH_SECTIONS))):
        sec = sections[i]
        if sec == 0:
            gap = gap or bool(out)
            continue
        if out and (gap or sec < 1000):
            out += "零"
        out += ("两" if sec == 2 and i else _zh_section(sec, leading=not out)) + _ZH_SECTIONS[i]
        gap = False
    return out


def _zh_section(sec: int, leading: bool) -> str:
    out, zero = "", False
    for place, unit in _ZH_PLACES:
        d = sec // 10 ** place % 10
        if d == 0:
            zero = zero or bool(out)
            continue
        if zero:
            out, zero = out + "零", False
        if place == 1 and d == 1 and leading and not out:
            out += "十"  # 十五, not 一十五, at the very start
        else:
            out += ("两" if d == 2 and place == 3 else _ZH_DIGITS[d]) + unit
    return out


def zh_number(s: str) -> str:
    """A written number (commas, decimals) as read: 1,234.5 → 一千二百三十四点五; 007 → 零零七."""
    whole, frac = _split_number(s)
    if len(whole) > MAX_NUMBER_DIGITS or (len(whole) > 1 and whole[0] == "0"):
        head = zh_digits(whole)
    else:
        head = zh_integer(int(whole))
    return head + ("点" + zh_digits(frac) if frac else "")


def _zh_version(s: str) -> str:
    return "点".join(zh_number(p) for p in s.split("."))


def _zh_phone(m: re.Match) -> list[Piece]:
    return [_group(m, "d", zh_digits(m.group("d"), phone=True))]


def _zh_iso_date(m: re.Match) -> list[Piece] | None:
    month, day = int(m.group("mo")), int(m.group("d") or 1)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    pieces = [_group(m, "y", zh_digits(m.group("y")) + "年"), _group(m, "mo", zh_integer(month) + "月")]
    if m.group("d"):
        pieces.append(_group(m, "d", zh_integer(day) + "日"))
    seps = [(m.start(g), m.end(g), "") for g in ("s1", "s2") if m.group(g)]
    return _merge_empty(pieces + seps)


def _merge_empty(pieces: list[Piece]) -> list[Piece]:
    """Fold a piece that reads as nothing (a date's dash) into the piece before it."""
    out: list[Piece] = []
    for a, b, r in sorted(pieces):
        if not r and out and out[-1][1] == a:
            out[-1] = (out[-1][0], b, out[-1][2])
        else:
            out.append((a, b, r))
    return out


def _zh_year_range(m: re.Match) -> list[Piece]:
    return [_group(m, "a", zh_digits(m.group("a"))), _group(m, "sep", "到"), _group(m, "b", zh_digits(m.group("b")))]


def _zh_time(m: re.Match) -> list[Piece]:
    hour, minute = int(m.group("h")), int(m.group("m"))
    reading = ("两" if hour == 2 else zh_integer(hour)) + "点"
    seconds = int(m.group("s") or 0)
    if minute or seconds:
        reading += ("零" + _ZH_DIGITS[minute].strip("零") if minute < 10 else zh_integer(minute)) + "分"
    if seconds:
        reading += zh_integer(seconds) + "秒"
    return _whole(m, reading)


def _zh_score(m: re.Match) -> list[Piece]:
    return _whole(m, zh_number(m.group("a")) + "比" + zh_number(m.group("b")))


_ZH_MONEY_AFTER = r"\s?(?:元|块|美元|欧元|港元|英镑|日元|人民币)"
_EN_SCALE_POWERS = {"thousand": 3, "million": 6, "billion": 9, "bn": 9, "trillion": 12}


def _trim_cents(s: str) -> str:
    """12.80 → 12.8, 5.00 → 5: an amount of money is read without its trailing zeros."""
    return s.rstrip("0").rstrip(".") if "." in s else s


def _zh_scaled(n: str, power: int) -> str:
    """n × 10^power (an English scale word) said in 万/亿: 3.5 billion → 三十五亿, 1.2 million → 一百二十万."""
    value = Decimal(n.replace(",", "")).scaleb(power)
    for unit, size in (("万亿", 12), ("亿", 8), ("万", 4)):
        if value >= Decimal(10) ** size:
            return zh_number(format(value.scaleb(-size).normalize(), "f")) + unit
    return zh_number(format(value.normalize(), "f"))


def _zh_money(m: re.Match) -> list[Piece]:
    english = m.group("en_scale")
    if english:
        return _whole(m, ("负" if m.group("sign") else "") + _zh_scaled(m.group("n"), _EN_SCALE_POWERS[english.lower()])
                      + _ZH_CURRENCY[m.group("cur")])
    reading = zh_number(_trim_cents(m.group("n"))) + (m.group("scale") or "")
    if m.group("sign"):
        reading = "负" + reading
    return _whole(m, reading + _ZH_CURRENCY[m.group("cur")])


def _zh_percent(m: re.Match) -> list[Piece]:
    head = "千分之" if m.group("pct") == "‰" else "百分之"
    return _whole(m, ("负" if m.group("sign") else "") + head + zh_number(m.group("n")))


def _zh_fraction(m: re.Match) -> list[Piece] | None:
    if int(m.group("b")) == 0:
        return None
    return _whole(m, zh_number(m.group("b")) + "分之" + zh_number(m.group("a")))


def _zh_number(m: re.Match) -> list[Piece]:
    s, work = m.group("n"), m.string
    unit = m.group("unit")
    if s.count(".") > 1:
        reading = _zh_version(s)
    elif re.fullmatch(r"0[1-9]", s) and re.match(r"分|秒", work[m.end("n"):m.end("n") + 1]):
        reading = "零" + _ZH_DIGITS[int(s)]  # 10点05分: minutes and seconds keep their 零
    elif re.fullmatch(r"0[1-9]", s) and re.match(r"月|日|号|时|点", work[m.end("n"):m.end("n") + 1]):
        reading = zh_integer(int(s))  # 2021年04月05日: a padded month or day is still a number
    elif m.start("n") and work[m.start("n") - 1].isascii() and work[m.start("n") - 1].isalpha() and (
            len(s) > 2 or "." in s):
        reading = "点".join(zh_digits(p) for p in s.split("."))  # A380 → A三八零, PM2.5 → PM二点五 (G20: 二十)
    elif re.match(_ZH_MONEY_AFTER, work[m.end("n"):]) and "." in s:
        reading = zh_number(_trim_cents(s))  # 12.80元 → 十二点八元, 5.00元 → 五元
    elif s == "2" and not work[max(m.start("n") - 1, 0):m.start("n")] == "第" and (
            re.match(_ZH_MEASURE, work[m.end("n"):]) or (unit and unit in ("km", "kg", "g", "t", "h", "m", "L"))):
        reading = "两"
    else:
        reading = zh_number(s)
    if re.match(r"\s*(?:[-~～–—至到]\s*[0-9.,]+\s*%)", work[m.end("n"):]) and not unit:
        reading = "百分之" + reading  # 20-30% → 百分之二十到百分之三十
    if m.group("sign"):
        reading = ("零下" if unit in _TEMPERATURE else "负") + reading
    pieces = [(m.start(), m.end("n"), reading)]
    if unit:
        pieces.append((m.end("n"), m.end(), _ZH_UNITS[unit]))
    return pieces


def _zh_address(m: re.Match) -> list[Piece]:
    """www.gov.cn → www点gov点cn, news@example.com → news at example点com: the Mandarin voice says no "dot"
    (the scheme, https://, is not read)."""
    return _whole(m, m.group("addr").replace("@", " at ").replace(".", "点"))


def _zh_acronym(m: re.Match) -> list[Piece]:
    return _whole(m, _spaced(m.group(0)))


def _units_pattern(units) -> str:
    return "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))


def _phone_keyword_lookbehind() -> str:
    words = ("电话", "号码", "手机", "热线", "传真", "账号", "卡号", "单号", "邮编", "编号", "工号", "学号", "车次", "房号",
             "拨打", "致电", "拨")
    seps = ("", ":", "是", "为", " ", ": ", "是 ", "为 ")
    by_width: dict[int, list[str]] = {}
    for w in words:
        for s in seps:
            by_width.setdefault(len(w + s), []).append(re.escape(w + s))
    return "(?:" + "|".join(f"(?<={'|'.join(alts)})" for alts in by_width.values()) + ")"


_ZH_RULES: tuple[_Rule, ...] = (
    _rule(_phone_keyword_lookbehind() + r"(?P<d>[0-9](?:[0-9]|-(?=[0-9])){2,})", _zh_phone),
    _rule(_NOT_AFTER_DIGIT + r"(?P<d>1[3-9][0-9](?:[- ]?[0-9]{4}){2})(?![0-9])", _zh_phone),
    _rule(_NOT_AFTER_DIGIT + r"(?P<d>0[0-9]{2,3}-[0-9]{7,8}|[0-9]{3,4}-[0-9]{3,4}-[0-9]{4})(?![0-9])", _zh_phone),
    _rule(_NOT_AFTER_DIGIT + r"(?P<y>(?:1[0-9]|20)[0-9]{2})(?P<s1>[-/.])(?P<mo>[0-9]{1,2})(?P<s2>(?P=s1))"
          r"(?P<d>[0-9]{1,2})(?![0-9])", _zh_iso_date),
    _rule(_NOT_AFTER_DIGIT + r"(?P<y>(?:19|20)[0-9]{2})(?P<s1>[-/])(?P<mo>0?[1-9]|1[0-2])(?![0-9]|[-/.][0-9])"
          r"(?P<s2>)(?P<d>)", _zh_iso_date),
    _rule(_NOT_AFTER_DIGIT + r"(?P<a>(?:19|20)[0-9]{2})(?P<sep>\s*[-~～–—至到]\s*)(?P<b>(?:19|20)[0-9]{2})(?![0-9])",
          _zh_year_range),
    _rule(_NOT_AFTER_DIGIT + r"[0-9]{4}(?=年)", lambda m: _whole(m, zh_digits(m.group(0)))),
    _rule(_NOT_AFTER_DIGIT + r"(?P<h>[01]?[0-9]|2[0-4]):(?P<m>[0-5][0-9])(?::(?P<s>[0-5][0-9]))?(?![0-9])", _zh_time),
    _rule(_NOT_AFTER_DIGIT + r"(?P<a>[0-9]{1,3}):(?P<b>[0-9]{1,3})(?![0-9])", _zh_score),
    _rule(_SIGN + r"(?P<cur>US\$|HK\$|[$¥€£])\s?(?P<n>" + _NUM + r")(?:\s?(?P<en_scale>thousand|million|billion|"
          r"trillion|bn)(?![A-Za-z])|(?P<scale>万亿|万|亿)?(?P<yuan>元)?)", _zh_money),
    _rule(_SIGN + r"(?P<n>" + _NUM + r")\s?(?P<pct>[%‰])", _zh_percent),
    _rule(r"(?:https?://)?(?P<addr>[A-Za-z0-9_%+-]+(?:[.@][A-Za-z0-9_-]+)*\.(?:com|cn|net|org|gov|edu|info|io)"
          r"(?:\.[a-z]{2})?)(?![A-Za-z0-9])", _zh_address),
    _rule(r"(?<![0-9/.])(?P<a>[0-9]+)/(?P<b>[0-9]+)(?![0-9/])", _zh_fraction),
    # 5月1日-5日, 1月～3月, 100元-200元, 10万—20万: a dash after a number's unit is 到, not a minus sign
    _rule(r"(?<=[0-9][年月日号天元岁个时点分秒周倍米克斤吨万亿人次])\s*[-~–—]\s*(?=[0-9])", lambda m: _whole(m, "到")),
    _rule(r"[±<>≤≥≈](?=\s?[-−]?[0-9])", lambda m: _whole(m, _ZH_COMPARE[m.group(0)])),
    _rule(_SIGN + r"(?P<n>" + _NUM + r")(?: ?(?P<unit>" + _units_pattern(_ZH_UNITS) +
          r")(?![A-Za-z]))?", _zh_number),
    _rule(r"(?<=[0-9%‰])\s*" + _RANGE_DASH + r"\s*(?=[-−]?[0-9])", lambda m: _whole(m, "到")),
    _rule(r"(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])", _zh_acronym),
    _rule(r"(?<=[元米克斤吨时分秒天人次件个台])/(?=[\u4e00-\u9fff])", lambda m: _whole(m, "每")),  # 3.5元/斤
)


# ---------------------------------------------------------------------------------------------
# English readings.

_EN_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen").split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")
_EN_ORDINAL_END = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                   "nine": "ninth", "twelve": "twelfth"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_MONTH = (r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_EN_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "US$": ("dollar", "dollars", "cent", "cents"),
                "£": ("pound", "pounds", "penny", "pence"), "€": ("euro", "euros", "cent", "cents"),
                "¥": ("yen", "yen", "", "")}
_EN_SCALE_WORDS = {"k": "thousand", "m": "million", "bn": "billion", "thousand": "thousand", "million": "million",
                   "billion": "billion", "trillion": "trillion"}
_EN_UNITS = {"km/h": ("kilometer per hour", "kilometers per hour"), "mph": ("mile per hour", "miles per hour"),
             "km": ("kilometer", "kilometers"), "kg": ("kilogram", "kilograms"), "cm": ("centimeter", "centimeters"),
             "mm": ("millimeter", "millimeters"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
             "ft": ("foot", "feet"), "℃": ("degree Celsius", "degrees Celsius"),
             "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
             "℉": ("degree Fahrenheit", "degrees Fahrenheit"),
             "°": ("degree", "degrees"), "GB": ("gigabyte", "gigabytes"), "MB": ("megabyte", "megabytes"),
             "TB": ("terabyte", "terabytes")}
_EN_ABBREVIATIONS = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor",
                     "Jr": "Junior", "Sr": "Senior", "vs": "versus", "etc": "et cetera", "Mt": "Mount",
                     "Ave": "Avenue", "Fig": "Figure", "approx": "approximately", "Gov": "Governor",
                     "Sen": "Senator", "Rep": "Representative", "Gen": "General", "Capt": "Captain"}
# All-caps words read as words, not spelled: acronyms said as one word, and common words in a shouted headline.
_WORD_ACRONYMS = frozenset(("NASA NATO UNESCO UNICEF OPEC FIFA NAFTA ASEAN AIDS COVID LASER RADAR SCUBA SARS "
                            "ISIS OK GIF PIN RAM ROM SIM WHO'S THE AND FOR NOT BUT YOU ARE WAS ALL NEW NOW OUT "
                            "OUR HOW WHY CAN HAS HAD HIS HER ONE TWO OFF LIVE NEWS WITH THIS THAT FROM WILL IS "
                            "IN OF TO ON AT BY BE AS OR IF SO NO GO WE DO MY ME HE").split())


def en_integer(n: int) -> str:
    """An integer below 10^18 in words: 1234 → one thousand two hundred thirty-four."""
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        return _EN_TENS[n // 10] + ("-" + _EN_ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _EN_ONES[n // 100] + " hundred" + (" " + en_integer(n % 100) if n % 100 else "")
    groups = []
    for scale in _EN_SCALES:
        groups.append((n % 1000, scale))
        n //= 1000
    words = [en_integer(g) + (" " + s if s else "") for g, s in reversed(groups) if g]
    return " ".join(words)


def en_digits(digits: str) -> str:
    return " ".join(_EN_ONES[int(d)] for d in digits if d.isdigit())


def en_number(s: str) -> str:
    """A written number: 1,234.5 → one thousand two hundred thirty-four point five; 007 → zero zero seven."""
    whole, frac = _split_number(s)
    if len(whole) > MAX_NUMBER_DIGITS or (len(whole) > 1 and whole[0] == "0"):
        head = en_digits(whole)
    else:
        head = en_integer(int(whole))
    return head + (" point " + en_digits(frac) if frac else "")


def en_ordinal(n: int) -> str:
    words = en_integer(n)
    head, sep, last = words.rpartition("-" if words.rpartition(" ")[2].count("-") else " ")
    if last in _EN_ORDINAL_END:
        last = _EN_ORDINAL_END[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def en_year(n: int) -> str:
    """A year in pairs: 1999 → nineteen ninety-nine, 1905 → nineteen oh five, 2005 → two thousand five."""
    if 2000 <= n <= 2009 or n % 1000 == 0:
        return en_integer(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return en_integer(hi) + " hundred"
    return en_integer(hi) + " " + (("oh " + _EN_ONES[lo]) if lo < 10 else en_integer(lo))


def _en_month(name: str) -> str:
    return next(full for full in _MONTHS if full.startswith(name[:3]))


def _en_date(m: re.Match, day_first: bool) -> list[Piece] | None:
    day = int(m.group("d"))
    if not 1 <= day <= 31:
        return None
    month = _en_month(m.group("mon"))
    year = (" " + en_year(int(m.group("y")))) if m.group("y") else ""
    if day_first:
        return _whole(m, f"the {en_ordinal(day)} of {month}{year}")
    return _whole(m, f"{month} {en_ordinal(day)}" + ("," + year if year else ""))


def _en_iso_date(m: re.Match) -> list[Piece] | None:
    month, day = int(m.group("mo")), int(m.group("d"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return _whole(m, f"{_MONTHS[month - 1]} {en_ordinal(day)}, {en_year(int(m.group('y')))}")


def _en_time(m: re.Match) -> list[Piece] | None:
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    ampm = m.group("ap")
    if ampm and not 1 <= hour <= 12:
        return None
    reading = en_integer(hour)
    if minute:
        reading += " " + ("oh " + _EN_ONES[minute] if minute < 10 else en_integer(minute))
    elif not ampm:
        reading += " o'clock" if hour <= 12 else " hundred"
    if ampm:
        reading += " " + ampm.lower() + " m"
    return _whole(m, reading)


def _en_money(m: re.Match) -> list[Piece]:
    one, many, sub_one, sub_many = _EN_CURRENCY[m.group("cur")]
    whole, frac = _split_number(m.group("n"))
    scale = m.group("scale")
    sign = "minus " if m.group("sign") else ""
    if scale:
        return _whole(m, f"{sign}{en_number(m.group('n'))} {_EN_SCALE_WORDS[scale.lower()]} {many}")
    if frac and (len(frac) != 2 or not sub_many):
        return _whole(m, f"{sign}{en_number(m.group('n'))} {many}")
    units, cents = int(whole), int(frac or 0)
    parts = [f"{en_number(whole)} {one if units == 1 else many}"] if units or not cents else []
    if cents:
        parts.append(f"{en_integer(cents)} {sub_one if cents == 1 else sub_many}")
    return _whole(m, sign + " and ".join(parts))


def _en_percent(m: re.Match) -> list[Piece]:
    word = "per mille" if m.group("pct") == "‰" else "percent"
    return _whole(m, ("minus " if m.group("sign") else "") + en_number(m.group("n")) + " " + word)


def _en_ordinal(m: re.Match) -> list[Piece]:
    return _whole(m, en_ordinal(int(m.group("n"))))


def _en_decade(m: re.Match) -> list[Piece]:
    year = en_year(int(m.group("y")))
    return _whole(m, year[:-1] + "ies" if year.endswith("y") else year + "s")


def _en_number(m: re.Match) -> list[Piece]:
    s, unit = m.group("n"), m.group("unit")
    reading = " point ".join(en_number(p) for p in s.split(".")) if s.count(".") > 1 else en_number(s)
    if m.group("sign"):
        reading = "minus " + reading
    pieces = [(m.start(), m.end("n"), reading)]
    if unit:
        one, many = _EN_UNITS[unit]
        pieces.append((m.end("n"), m.end(), one if s == "1" else many))
    return pieces


def _en_abbreviation(m: re.Match) -> list[Piece]:
    word = m.group("w")
    if word == "St":
        after_name = m.start() > 1 and m.string[m.start() - 2].isalpha() and m.string[m.start() - 1] == " "
        return _whole(m, "Street" if after_name or not m.group("cap") else "Saint")
    if word == "No":
        return _whole(m, "number") if m.group("cap") is None and m.group("digit") else None
    return _whole(m, _EN_ABBREVIATIONS[word])


def _en_acronym(m: re.Match) -> list[Piece] | None:
    word, text = m.group("w"), m.string
    beside_ampersand = "&" in text[max(m.start() - 1, 0):m.start()] + text[m.end():m.end() + 1]  # AT&T
    if not beside_ampersand and (word in _WORD_ACRONYMS or (len(word) > 4 and re.search(r"[AEIOU]", word))):
        return None
    return _whole(m, _spaced(word) + ("'s" if m.end() > m.end("w") else ""))  # CEOs → C E O's


_ABBREVIATION_WORDS = "|".join(sorted([*_EN_ABBREVIATIONS, "St", "No"], key=len, reverse=True))

_ROMAN = {"II": 2, "III": 3, "IV": 4, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "XI": 11, "XII": 12, "XIII": 13,
          "XIV": 14, "XV": 15, "XVI": 16}
# after these a numeral is a number (World War Two, Part Three); after another name, an ordinal (Elizabeth the Second)
_ROMAN_CARDINAL = frozenset("War Part Phase Chapter Volume Act Level Stage Round Book Season Episode Type Class "
                            "Grade Category Article Section".split())
_LATIN_ABBREVIATIONS = {"i.e.": "that is", "e.g.": "for example"}


def _en_roman(m: re.Match) -> list[Piece]:
    n = _ROMAN[m.group("r")]
    return [_group(m, "r", en_integer(n) if m.group("w") in _ROMAN_CARDINAL else "the " + en_ordinal(n))]


_EN_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _en_fraction(m: re.Match) -> list[Piece] | None:
    """1/3 → one third, 3/4 → three quarters; only a proper fraction of a small denominator (24/7 and 9/11
    are not fractions, and a date has a year after it)."""
    a, b = int(m.group("a")), int(m.group("b"))
    if not 0 < a < b <= 10:
        return None
    one, many = _EN_FRACTION_NAMES.get(b) or (en_ordinal(b), en_ordinal(b) + "s")
    return _whole(m, f"{en_integer(a)} {one if a == 1 else many}")


def _en_phone(m: re.Match) -> list[Piece]:
    return _whole(m, ", ".join(" ".join(_EN_ONES[int(d)] for d in g) for g in m.group(0).split("-")))


_EN_RULES: tuple[_Rule, ...] = (
    _rule(r"(?P<w>[A-Z][a-z]+) (?P<r>" + "|".join(sorted(_ROMAN, key=len, reverse=True)) + r")(?![A-Za-z0-9])",
          _en_roman),
    _rule(r"(?<![A-Za-z.])(?:i\.e\.|e\.g\.)", lambda m: _whole(m, _LATIN_ABBREVIATIONS[m.group(0)])),
    _rule(r"#(?=[0-9])", lambda m: _whole(m, "number ")),
    _rule(_NOT_AFTER_DIGIT + r"[0-9]{3}-[0-9]{3}-[0-9]{4}(?![0-9])", _en_phone),
    _rule(_NOT_AFTER_DIGIT + r"(?P<h>1[0-2]|0?[1-9])\.(?P<m>[0-5][0-9])\s?(?P<ap>[AaPp])\.?\s?[Mm]\.?(?![A-Za-z])",
          _en_time),                                                       # 10.30am (British)
    _rule(r"(?<![A-Za-z])(?P<mon>Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.(?=\s[0-9]{4}(?![0-9]))",
          lambda m: _whole(m, _en_month(m.group("mon")))),                # Jan. 2024
    _rule(_NOT_AFTER_DIGIT + r"(?P<y>(?:1[0-9]|20)[0-9]{2})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})(?![0-9])",
          _en_iso_date),
    _rule(r"(?<![A-Za-z])" + _MONTH + r"\.? (?P<d>[0-9]{1,2})(?:st|nd|rd|th)?(?:,? (?P<y>[0-9]{4}))?(?![0-9])",
          lambda m: _en_date(m, day_first=False)),
    _rule(_NOT_AFTER_DIGIT + r"(?P<d>[0-9]{1,2})(?:st|nd|rd|th)? (?:of )?" + _MONTH +
          r"(?![a-z])(?:,? (?P<y>[0-9]{4}))?(?![0-9])", lambda m: _en_date(m, day_first=True)),
    _rule(_NOT_AFTER_DIGIT + r"(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])(?:\s?(?P<ap>[AaPp])\.?\s?[Mm]\.?"
          r"(?![A-Za-z]))?(?![0-9])", _en_time),
    _rule(_NOT_AFTER_DIGIT + r"(?P<h>1[0-2]|[1-9])\s?(?P<ap>[AaPp])\.?\s?[Mm]\.?(?![A-Za-z])(?P<m>)", _en_time),
    _rule(_SIGN + r"(?P<cur>US\$|[$£€¥])\s?(?P<n>" + _NUM + r")"
          r"(?: ?(?P<scale>thousand|million|billion|trillion|bn|[kKmM])(?![A-Za-z]))?", _en_money),
    _rule(_SIGN + r"(?P<n>" + _NUM + r")\s?(?P<pct>[%‰])", _en_percent),
    _rule(_NOT_AFTER_DIGIT + r"(?P<n>[0-9]{1,9})(?:st|nd|rd|th)(?![A-Za-z])", _en_ordinal),
    _rule(_NOT_AFTER_DIGIT + r"(?P<y>1[1-9][0-9]0|20[0-9]0)s(?![A-Za-z])", _en_decade),
    _rule(r"(?<![0-9/.])(?P<a>[0-9])/(?P<b>[0-9]{1,2})(?![0-9/])", _en_fraction),
    _rule(r"(?<![0-9,.$£€¥])(?P<y>1[1-9][0-9]{2}|20[0-9]{2})(?![0-9]|[.,][0-9]|\s?[%‰°℃]|\s?(?:km|kg|cm|mm)\b)",
          lambda m: _whole(m, en_year(int(m.group("y"))))),
    _rule(_SIGN + r"(?P<n>" + _NUM + r")(?: ?(?P<unit>" + _units_pattern(_EN_UNITS) +
          r")(?![A-Za-z]))?", _en_number),
    _rule(r"(?<=[0-9%‰])\s*" + _RANGE_DASH + r"\s*(?=[-−]?[0-9])", lambda m: _whole(m, " to ")),
    _rule(r"(?<![A-Za-z])(?P<w>" + _ABBREVIATION_WORDS + r")\.(?=(?:\s+(?:(?P<cap>[A-Z])|(?P<digit>[0-9])))?)",
          _en_abbreviation),
    _rule(r"(?<![A-Za-z'])(?P<w>[A-Z]{2,})(?:s|'s)?(?![A-Za-z])", _en_acronym),
    _rule(r"\s?&\s?", lambda m: _whole(m, " and ")),
)
