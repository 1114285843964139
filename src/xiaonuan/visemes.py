"""Phoneme → viseme: a small mouth-shape set shared by Mandarin and English.

The shapes follow rhubarb-lip-sync's (Preston Blair) set. Tables map eSpeak NG's phoneme
mnemonics, stress marks removed, and the IPA that Kokoro reads (tone arrows, aspiration and
length marks removed) to a viseme; `viseme_of` raises on a symbol that is in
no table so nothing falls through to a default silently.
"""

from __future__ import annotations

import enum

from .errors import InputError
from .speech import Phoneme
from .speech.ipa import MARKS
from .timeline import Timed, Timeline


class Viseme(enum.Enum):
    X = "X"  # rest: lips together, relaxed (silence)
    A = "A"  # closed and pressed: p, b, m
    B = "B"  # teeth nearly together, lips slightly apart: most consonants, i
    C = "C"  # open-mid: e, ɛ
    R = "R"  # reduced, central: ə ʌ ɜ (schwa), a smaller opening than e
    D = "D"  # wide open: a
    E = "E"  # open and rounded: o
    F = "F"  # puckered: u, ü, w
    G = "G"  # lower lip to upper teeth: f, v
    H = "H"  # tongue up, mouth open: l


def _table(groups: dict[Viseme, str]) -> dict[str, Viseme]:
    return {sym: vis for vis, syms in groups.items() for sym in syms.split()}


# eSpeak NG `cmn` mnemonics (pinyin in comments). Diphthongs take the shape of their open part.
MANDARIN: dict[str, Viseme] = _table({
    Viseme.A: "p ph m",                                   # b p m
    Viseme.G: "f",                                        # f
    Viseme.H: "l",                                        # l
    Viseme.B: "t th n k kh X ts tsh ts. ts.h z. s s. S S; tS; tS;h j i I2 i. i[ N N- ;",
    # d t n g k h z c zh ch r s sh x j q y, i and the apical i of zi/zhi, ng
    Viseme.C: "e ei iE",                                  # ê ei ie
    Viseme.R: "@ @r",                                     # e (of de, en, eng) er
    Viseme.D: "a A Au ai iA ua uai",                      # a ao ai ia ua uai
    Viseme.E: "o o- ou uo ong iou",                       # o ou uo ong iu
    Viseme.F: "u u: u@ uei y y& y@ yE w",                 # u wen wei ü üan ün üe w
})

# eSpeak NG `en-us` mnemonics.
ENGLISH: dict[str, Viseme] = _table({
    Viseme.A: "p b m",
    Viseme.G: "f v",
    Viseme.H: "l @L n-",
    Viseme.B: "t d t# t2 s z n N k g h j r r- T D tS dZ S Z ? ; i i: I I# I2 i@",  # t2: flapped t (water)
    Viseme.C: "E e@ eI i@3",
    Viseme.R: "@ @2 @- 3 3: V a#",                                          # @-: the schwa of "-tion"
    Viseme.D: "a aa A: A@ aI aI3 aI@ aU",                                   # aI3, aI@: fire, hire
    Viseme.E: "0 O: O@ O2 OI oU o@",                                        # O2: orange; o@: more, four
    Viseme.F: "u: U U@ w",
})

# Kokoro's phoneme set (IPA as misaki writes it; A I O W Y Q are its diphthongs eɪ aɪ oʊ aʊ ɔɪ əʊ, ᵊ a
# reduced schwa, ꭧ the retroflex affricate of zh/ch). Every sound symbol of its vocabulary is here.
IPA: dict[str, Viseme] = _table({
    Viseme.A: "p b m ɸ β",
    Viseme.G: "f v",
    Viseme.H: "l ʎ",
    Viseme.B: "t d n k g ɡ s z c x h j q r ɕ ʂ ɻ ɹ ɾ ɽ ʦ ʣ ʨ ʥ ꭧ ʈ ɖ ʃ ʒ ʧ ʤ θ ð ŋ ɲ ɳ ɴ ç ʝ ɟ χ ʁ ɣ ʔ ɰ ʋ "
              "T S i ɨ ɪ ᵻ",
    Viseme.C: "e ɛ œ A",
    Viseme.R: "ə ɜ ɤ ɚ ᵊ ʌ",
    Viseme.D: "a ɑ ɐ æ I W",
    Viseme.E: "o ɔ ʊ ɒ ø O Y Q",
    Viseme.F: "u w y ɥ ɯ ᵝ",
})

TABLES: dict[str, dict[str, Viseme]] = {"zh": MANDARIN, "en": ENGLISH}
_ALL_TABLES = (MANDARIN, ENGLISH, IPA)  # where a symbol of another language's text is looked up
_NO_MARKS = {ord(c): None for c in MARKS}


def base_symbol(symbol: str) -> str:
    """The phoneme without eSpeak's stress marks (' primary, , secondary) or IPA's tone, aspiration,
    length and stress marks (Kokoro's ʨʰ, a↘ are ʨ, a)."""
    return symbol.lstrip("',").translate(_NO_MARKS)


def is_language_switch(symbol: str) -> bool:
    """eSpeak marks a switch of language inside a sentence as `(en)`, `(cmn)`: not a sound."""
    return symbol.startswith("(") and symbol.endswith(")")


def viseme_of(symbol: str, language: str) -> Viseme:
    """The viseme of one eSpeak phoneme; looks in the other language's table for mixed text."""
    base = base_symbol(symbol)
    table = TABLES[language]
    if base in table:
        return table[base]
    for other in _ALL_TABLES:  # eSpeak reads English words inside Chinese with English phonemes; Kokoro reads IPA
        if base in other:
            return other[base]
    raise KeyError(f"phoneme {symbol!r} ({language}) has no viseme: add it to xiaonuan.visemes")


def visemes_from_phonemes(phonemes: Timeline[Phoneme], language: str) -> Timeline[Viseme]:
    """One viseme span per sounding phoneme; gaps (silence) stay gaps."""
    try:
        items = [Timed(p.start, p.end, viseme_of(p.value.symbol, language))
                 for p in phonemes if not is_language_switch(p.value.symbol)]
    except KeyError as e:  # only a lexicon's `phonemes:` entry can bring in a symbol eSpeak never emits
        raise InputError(f"{e.args[0]}; if it comes from a lexicon `phonemes:` entry, use eSpeak's "
                         "mnemonics for that language or a pinyin/`say:` reading instead") from None
    return Timeline(phonemes.rate_hz, tuple(items))
