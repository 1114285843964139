import pytest

from xiaonuan.speech import get_engine
from xiaonuan.visemes import ENGLISH, MANDARIN, Viseme, is_language_switch, viseme_of, visemes_from_phonemes

# Pangram-like texts: every initial and final of Mandarin, every English phoneme eSpeak uses.
ZH = ("天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。寒来暑往，秋收冬藏。我们热爱祖国，欢迎参观，女儿去旅游，"
      "月亮，绿色，雪花，儿子，耳朵，吃饭，时候，知道，说话，窗户，自己，从此，四川，熊猫，穷人，决定，全部，"
      "选举，军队，眼睛，嗯，哦，啊，法国，佛教，冷水，怪物，快乐，宣传，追求，准备。")
EN = ("The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. "
      "Sphinx of black quartz, judge my vow. Measure, joy, wool, hue, boy, cow, car, care, pure, poor, near, "
      "hair, sing, church, vision, thing, this, yes, azure, button, little, bottle, water, father, about. "
      "The museum had an idea: a fire near the flower stall, wanted by orange-coated city players.")


@pytest.mark.parametrize("voice,lang,text", [("espeak:cmn", "zh", ZH), ("espeak:en-us", "en", EN)])
def test_every_emitted_phoneme_has_a_viseme(voice, lang, text):
    speech = get_engine(voice).synthesize([text], [0])
    for p in speech.phonemes:
        if not is_language_switch(p.value.symbol):
            viseme_of(p.value.symbol, lang)  # raises on a gap in the table


def test_key_shapes():
    for sym in ["p", "ph", "m"]:
        assert MANDARIN[sym] is Viseme.A
    for sym in ["p", "b", "m"]:
        assert ENGLISH[sym] is Viseme.A
    assert MANDARIN["f"] is ENGLISH["v"] is Viseme.G
    assert viseme_of("'u", "zh") is Viseme.F and viseme_of("'y", "zh") is Viseme.F
    assert viseme_of("'a", "zh") is Viseme.D
    with pytest.raises(KeyError, match="no viseme"):
        viseme_of("Q!", "zh")


def test_timeline_keeps_gaps():
    speech = get_engine("fake:cmn").synthesize(["妈妈。", "好"], [500, 300])
    vis = visemes_from_phonemes(speech.phonemes, "zh")
    assert len(vis) == len(speech.phonemes)
    assert vis[0].value is Viseme.A  # fake voice starts with "m"
    assert vis.at(speech.sentences[0].end + 10) is None


def test_unknown_symbol_in_a_timeline_is_a_clear_input_error():
    from xiaonuan.errors import InputError
    from xiaonuan.speech import Phoneme
    from xiaonuan.timeline import Timed, Timeline

    bad = Timeline(16000, (Timed(0, 100, Phoneme("Q!", 0)),))
    with pytest.raises(InputError, match="lexicon"):
        visemes_from_phonemes(bad, "zh")
