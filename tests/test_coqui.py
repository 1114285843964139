"""The Coqui backend, tested with no download: a tiny randomly initialised VITS built from its config,
saved as a user's model folder (config.json + model.pth) and loaded through `coqui:/path`."""

import numpy as np
import pytest

pytest.importorskip("torch", reason="the neural extra is not installed (pip install -e '.[neural]')")


def _tiny_vits(folder):
    from xiaonuan.speech.coqui import _import_torch_and_tts

    torch = _import_torch_and_tts()
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_layers_text_encoder=1,
                    num_heads_text_encoder=1, num_layers_posterior_encoder=1, num_layers_flow=1,
                    upsample_initial_channel_decoder=16, resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3, 5]], init_discriminator=False, spec_segment_size=8)
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
