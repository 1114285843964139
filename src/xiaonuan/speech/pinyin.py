"""Mandarin G2P for alignment: a character's pinyin initial and final as eSpeak `cmn` mnemonics.

pypinyin reads the characters in context (polyphones such as 行 or 长 by their phrase), and each
initial/final maps onto the symbols of visemes.MANDARIN, so the viseme tables stay the one place
where a sound becomes a mouth shape. Each symbol has a typical relative duration: a syllable's
vowel lasts longer than its initial or nasal coda.
"""

from __future__ import annotations

from pypinyin import Style, pinyin

INITIALS = {"b": "p", "p": "ph", "m": "m", "f": "f", "d": "t", "t": "th", "n": "n", "l": "l", "g": "k",
            "k": "kh", "h": "X", "j": "tS;", "q": "tS;h", "x": "S;", "zh": "ts.", "ch": "ts.h", "sh": "s.",
            "r": "z.", "z": "ts", "c": "tsh", "s": "s"}
# strict finals (pypinyin's v = ü); the apical i of zi/zhi is chosen by the initial below
FINALS = {"a": "a", "o": "o", "e": "@", "i": "i", "u": "u", "v": "y", "ai": "ai", "ei": "ei", "ao": "Au",
          "ou": "ou", "an": "a n", "en": "@ n", "ang": "A N", "eng": "@ N", "ong": "ong", "er": "@r",
          "ia": "iA", "ie": "iE", "iao": "i Au", "iou": "iou", "ian": "iE n", "in": "i n", "iang": "i A N",
          "ing": "i N", "iong": "y ong", "ua": "ua", "uo": "uo", "uai": "uai", "uei": "uei", "uan": "u a n",
          "uen": "u @ n", "uang": "u A N", "ueng": "u @ N", "ve": "yE", "van": "y& n", "vn": "y n",
          "io": "i o", "ê": "e", "m": "m", "n": "n", "ng": "N"}
APICAL = {"zh": "i.", "ch": "i.", "sh": "i.", "r": "i.", "z": "i[", "c": "i[", "s": "i["}
CONSONANT_WEIGHT, VOWEL_WEIGHT = 0.6, 1.4  # typical shares of a syllable (an initial ~70 ms of ~230 ms)
_CONSONANTS = set(INITIALS.values()) | {"n", "N"}
UNKNOWN = ("@",)  # a character pypinyin cannot read: a neutral open-mid mouth


def syllables(chars: str) -> list[tuple[str, ...]]:
    """Per character of `chars` (Chinese characters only), its phoneme mnemonics."""
    initials = pinyin(chars, style=Style.INITIALS, strict=True, errors=lambda s: [""] * len(s))
    finals = pinyin(chars, style=Style.FINALS, strict=True, errors=lambda s: [""] * len(s))
    out = []
    for (ini,), (fin,) in zip(initials, finals):
        if not fin:
            out.append(UNKNOWN)
            continue
        head = (INITIALS[ini],) if ini in INITIALS else ()
        tail = (APICAL[ini],) if fin == "i" and ini in APICAL else tuple(FINALS.get(fin, "@").split())
        out.append(head + tail)
    return out


def weight(symbol: str) -> float:
    """Typical relative duration of a mnemonic inside its syllable."""
    return CONSONANT_WEIGHT if symbol in _CONSONANTS else VOWEL_WEIGHT


def toneless(chars: str) -> list[str]:
    """Pinyin without tones per character: homophones Whisper wrote with another character still match."""
    return [p[0] for p in pinyin(chars, style=Style.NORMAL, strict=True, errors=lambda s: list(s))]
