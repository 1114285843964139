"""The Coqui backend, tested with no download: a tiny randomly initialised VITS built from its config,
saved as a user's model folder (config.json + model.pth) and loaded through `coqui:/path`."""

import numpy as np
import pytest

pytest.importorskip("torch", reason="the neural extra is not installed (pip install -e '.[neural]')")


def _tiny_vits(folder, encoder_sample_rate=None):
    from xiaonuan.speech.coqui import _import_torch_and_tts

    torch = _import_torch_and_tts()
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_layers_text_encoder=1,
                    num_heads_text_encoder=1, num_layers_posterior_encoder=1, num_layers_flow=1,
                    upsample_initial_channel_decoder=16, resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3, 5]], init_discriminator=False, spec_segment_size=8,
                    encoder_sample_rate=encoder_sample_rate)
    chars = CharactersConfig(characters_class="TTS.tts.models.vits.VitsCharacters", pad="_", eos="", bos="",
                             blank="#", characters="abcdefghijklmnopqrstuvwxyz", punctuations=" ,.!?'-",
                             phonemes="", is_unique=True, is_sorted=True)
    config = VitsConfig(model_args=args, use_phonemes=False, characters=chars, text_cleaner="basic_cleaners",
                        add_blank=True, phoneme_language="en")
    config.audio.sample_rate = 16000
    torch.manual_seed(0)
    model = Vits.init_from_config(config)
    folder.mkdir(parents=True, exist_ok=True)
    config.save_json(str(folder / "config.json"))
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return _tiny_vits(tmp_path_factory.mktemp("vits") / "tiny")


def test_tiny_vits_loads_like_a_users_model_and_times_words_from_its_durations(tiny_model):
    from xiaonuan.speech import get_engine
    from xiaonuan.visemes import visemes_from_phonemes

    engine = get_engine(f"coqui:{tiny_model}")
    assert engine.language == "en"
    text = "Hello big world, 27 maps."
    speech = engine.synthesize([text, "Bye."], [400, 300])
    assert speech.rate_hz == 16000 and speech.samples.dtype == np.float32 and speech.exact_timing
    assert np.isfinite(speech.samples).all() and len(speech.samples) > 0.3 * 16000
    written = [text[w.value.char_start:w.value.char_end] for w in speech.words if w.value.sentence_index == 0]
    assert written == ["Hello", "big", "world", "27", "maps"]  # 27 is read as twenty-seven, shown as written
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and all(w.end > w.start for w in speech.words)
    # every phoneme lies inside the model's span of the word it belongs to, and has a viseme
    for p in speech.phonemes:
        w = speech.words[p.value.word_index]
        assert w.start <= p.start < w.end + 1
    assert {p.value.symbol for p in speech.phonemes} & {"b", "m", "p"}
    assert len(visemes_from_phonemes(speech.phonemes, "en")) == len(speech.phonemes)
    assert speech.sentences[0].end <= speech.sentences[1].start


def test_missing_models_say_what_to_give(tmp_path):
    from xiaonuan.errors import VoiceError
    from xiaonuan.speech import get_engine

    with pytest.raises(VoiceError, match="model_dir"):
        get_engine(f"coqui:{tmp_path / 'nope'}")
    with pytest.raises(VoiceError, match="checkpoint"):
        get_engine(f"coqui:{tmp_path}").synthesize(["Hi."], [100])


def test_the_torchaudio_stand_in_builds_what_vits_builds_and_refuses_the_rest(tmp_path):
    """With no loadable torchaudio (PyPI has no CPU build for torch 2.13), the stand-in must let a VITS
    whose config upsamples (encoder_sample_rate: Resample is built, then dropped for inference) load and
    speak through the user's path, and anything beyond that must fail loudly."""
    import sys

    from xiaonuan.speech import get_engine
    from xiaonuan.speech.coqui import STAND_IN_HINT, _import_torch_and_tts

    _import_torch_and_tts()
    torchaudio = sys.modules["torchaudio"]
    if getattr(torchaudio, "__file__", None) is not None:
        pytest.skip("a real torchaudio is installed: the stand-in is not used")
    folder = _tiny_vits(tmp_path / "upsampling", encoder_sample_rate=8000)  # decoder at 8 kHz, audio at 16 kHz
    speech = get_engine(f"coqui:{folder}").synthesize(["Hello big world."], [200])
    assert speech.rate_hz == 16000 and speech.timing == "exact" and np.isfinite(speech.samples).all()
    assert [w.value.char_start for w in speech.words] == [0, 6, 10]
    resample = torchaudio.transforms.Resample(orig_freq=16000, new_freq=8000)  # constructible, as VITS needs
    with pytest.raises(RuntimeError, match="Resample.*install a torchaudio"):
        resample(__import__("torch").zeros(1, 160))
    with pytest.raises(RuntimeError, match="torchaudio.load"):
        torchaudio.load("x.wav")
    with pytest.raises(AttributeError, match="torchaudio.functional is not available") as err:
        torchaudio.functional
    assert STAND_IN_HINT in str(err.value)


def _espeak_audio_at(text, rate_hz):
    """eSpeak (another voice variant) saying `text`, resampled to rate_hz: a model's audio with no durations."""
    from xiaonuan.speech.espeak import EspeakEngine

    engine = EspeakEngine("en-us")
    engine.voice = "en-us+f3"
    s = engine.synthesize([text], [0], lead_ms=100, rate_wpm=140)
    t = np.arange(int(len(s.samples) * rate_hz / s.rate_hz)) / rate_hz
    return np.interp(t, np.arange(len(s.samples)) / s.rate_hz, s.samples).astype(np.float32)


def test_a_model_without_durations_is_force_aligned_or_else_estimated(tiny_model, monkeypatch):
    from xiaonuan.speech import coqui, get_engine

    texts = ["The flower show opened this morning in the park.", "It runs until the end of May."]
    # a model that speaks (here: eSpeak in another voice) but reports no durations → aligned per sentence
    monkeypatch.setattr(coqui, "_infer", lambda torch, model, text, lang, rate: (_espeak_audio_at(text, 16000), None))
    speech = get_engine(f"coqui:{tiny_model}").synthesize(texts, [400, 300])
    assert speech.timing == "aligned" and not speech.exact_timing and not speech.warnings
    assert len(speech.phonemes) > 30 and {p.value.symbol for p in speech.phonemes} & {"m", "p", "b"}
    assert [texts[w.value.sentence_index][w.value.char_start:w.value.char_end] for w in speech.words][:3] == \
        ["The", "flower", "show"]
    first, second = speech.sentences
    assert all(first.start <= w.start < first.end for w in speech.words if w.value.sentence_index == 0)
    assert all(second.start <= w.start < second.end for w in speech.words if w.value.sentence_index == 1)
    # the tiny random model's own audio (noise, not speech) cannot be aligned: estimated, with a warning
    monkeypatch.undo()
    real_infer = coqui._infer
    monkeypatch.setattr(coqui, "_infer", lambda *a: (real_infer(*a)[0], None))
    noisy = get_engine(f"coqui:{tiny_model}").synthesize(texts, [400, 300])
    assert noisy.timing == "estimated" and len(noisy.phonemes) == 0
    assert any("could not be aligned" in w for w in noisy.warnings)
    assert [s.value for s in noisy.sentences] == [0, 1] and len(noisy.words) == 9 + 7
