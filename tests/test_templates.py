"""Template loading and validation: the shipped news template, and bad YAML named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from xiaonuan.errors import TemplateError
from xiaonuan.template_spec import AI_LABEL_TEXT
from xiaonuan.templates import available_templates, load_template
from xiaonuan.paths import templates_dir

MINIMAL = {
    "canvas": {"width_px": 640, "height_px": 360, "fps": 25},
    "background": {"top_color": "#102040", "bottom_color": "#000010"},
    "presenter": {"x_px": 320, "y_px": 20, "width_px": 300, "height_px": 300},
}


def _write(root: Path, data: dict | str, name: str = "t") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / "template.yaml").write_text(text, encoding="utf-8")
    return folder


def _error(root: Path, data: dict | str) -> str:
    _write(root, data)
    with pytest.raises(TemplateError) as e:
        load_template("t", root)
    return str(e.value)


def test_news_template_loads() -> None:
    tpl = load_template("news")
    assert (tpl.width_px, tpl.height_px, tpl.fps) == (1920, 1080, 25)
    assert 8 <= tpl.subtitle_max_chars <= 30
    assert tpl.spec.subtitles.max_lines <= 2
    assert tpl.spec.ai_label.text == AI_LABEL_TEXT
    assert tpl.spec.logo is not None and tpl.spec.logo.image is not None
    assert tpl.spec.logo.image.is_relative_to(tpl.root)
    assert "news" in available_templates()
    fields = tpl.resolve_fields({"headline": "测试"})
    assert fields["headline"] == "测试" and "年" in fields["date"]


def test_minimal_template_gets_defaults(tmp_path: Path) -> None:
    _write(tmp_path, MINIMAL)
    tpl = load_template("t", tmp_path)
    assert tpl.spec.ai_label.text == AI_LABEL_TEXT  # the AI label cannot be left out
    assert tpl.spec.background.top_color == (0x10, 0x20, 0x40, 255)


def test_unknown_template_lists_available(tmp_path: Path) -> None:
    _write(tmp_path, MINIMAL, name="alpha")
    with pytest.raises(TemplateError, match="alpha"):
        load_template("nope", tmp_path)
    with pytest.raises(TemplateError, match="news"):
        load_template("does-not-exist")


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    data = {**MINIMAL, "presenter": {**MINIMAL["presenter"], "widht_px": 5}}
    msg = _error(tmp_path, data)
    assert "presenter.widht_px" in msg and "unknown key" in msg and "line" in msg


def test_bad_colour_is_named(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**MINIMAL, "background": {"top_color": "blue"}})
    assert "background.top_color" in msg and "#rrggbb" in msg
    msg = _error(tmp_path, {**MINIMAL, "background": {"top_color": "#12345"}})
    assert "background.top_color" in msg


def test_an_unquoted_colour_says_to_quote_it(tmp_path: Path) -> None:
    text = yaml.safe_dump(MINIMAL, sort_keys=False) + "ticker:\n  bg_color: #102040\n"   # YAML: a comment, so null
    msg = _error(tmp_path, text)
    assert "ticker.bg_color" in msg and "quotes" in msg


def test_css_short_colours_are_read(tmp_path: Path) -> None:
    _write(tmp_path, {**MINIMAL, "background": {"top_color": "#fff", "bottom_color": "#0a08"}})
    bg = load_template("t", tmp_path).spec.background
    assert bg.top_color == (255, 255, 255, 255) and bg.bottom_color == (0, 0xAA, 0, 0x88)


def test_line_number_points_at_the_field(tmp_path: Path) -> None:
    text = yaml.safe_dump(MINIMAL, sort_keys=False).replace("fps: 25", "fps: fast")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "fps: fast" in ln)
    msg = _error(tmp_path, text)
    assert "canvas.fps" in msg and f"line {line}" in msg


def test_asset_path_may_not_leave_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"x")
    msg = _error(tmp_path, {**MINIMAL, "background": {"top_color": "#000000", "image": "../secret.png"}})
    assert "background.image" in msg and "leaves the template folder" in msg
    msg = _error(tmp_path, {**MINIMAL, "background": {"top_color": "#000000", "image": "/etc/passwd"}})
    assert "leaves the template folder" in msg


def test_missing_asset_and_missing_field(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**MINIMAL, "logo": {"x_px": 0, "y_px": 0, "height_px": 40, "image": "nope.png"}})
    assert "logo.image" in msg and "does not exist" in msg
    msg = _error(tmp_path, {k: v for k, v in MINIMAL.items() if k != "presenter"})
    assert "presenter" in msg and "missing" in msg


def test_broken_image_and_music_assets_are_named_not_crashed_on(tmp_path: Path) -> None:
    # both used to pass the template check and stop the render with a traceback (PIL / CalledProcessError)
    from xiaonuan import mix

    folder = _write(tmp_path, MINIMAL)
    (folder / "logo.png").write_bytes(b"a logo, once")
    msg = _error(tmp_path, {**MINIMAL, "logo": {"x_px": 0, "y_px": 0, "height_px": 40, "image": "logo.png"}})
    assert "logo.image" in msg and "not a picture" in msg
    (folder / "song.mp3").write_bytes(b"not audio at all")
    with pytest.raises(TemplateError, match="music 'song.mp3': ffmpeg cannot read it"):
        mix.load_music(folder / "song.mp3", 22050, 22050)


def test_unknown_placeholder_and_field(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**MINIMAL, "date": {"x_px": 600, "y_px": 10, "text": "{today}"}})
    assert "date.text" in msg and "{today}" in msg
    _write(tmp_path, MINIMAL)
    with pytest.raises(TemplateError, match="headlin"):
        load_template("t", tmp_path).resolve_fields({"headlin": "x"})


def test_ai_label_cannot_be_emptied(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**MINIMAL, "ai_label": {"text": ""}})
    assert "ai_label.text" in msg


def test_news_template_copy_validates(tmp_path: Path) -> None:
    shutil.copytree(templates_dir() / "news", tmp_path / "news")
    assert load_template("news", tmp_path).root == (tmp_path / "news").resolve()


def test_a_template_folder_of_ones_own_is_loaded_by_its_path(tmp_path: Path, monkeypatch) -> None:
    # a marketer's copy kept outside the project: `--template ./promo` (relative to where one runs) or absolute
    shutil.copytree(templates_dir() / "news", tmp_path / "promo")
    monkeypatch.chdir(tmp_path)
    for ref in ("./promo", str(tmp_path / "promo")):
        tpl = load_template(ref)
        assert tpl.name == "promo" and tpl.root == (tmp_path / "promo").resolve() and tpl.width_px == 1920
    (tmp_path / "empty").mkdir()
    with pytest.raises(TemplateError, match=r"no template.yaml in empty.*path to a template folder of your own"):
        load_template("./empty")


def test_all_shipped_templates_load_with_previews() -> None:
    for name in ("news", "explainer", "vertical", "bulletin", "studio"):
        tpl = load_template(name)
        assert tpl.spec.ai_label.text == AI_LABEL_TEXT
        preview = tpl.root / "preview.png"
        assert preview.is_file() and preview.stat().st_size < 300_000
    assert load_template("vertical").height_px == 1920
    assert load_template("bulletin").spec.intro.list_stories
    video = load_template("studio").spec.background.video  # made by templates/studio/make_loop.py
    assert video is not None and video.stat().st_size < 500_000


def test_unknown_layer_is_named(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**MINIMAL, "weather_map": {"x_px": 1}})
    assert "weather_map" in msg and "unknown key" in msg and "line" in msg


def test_card_and_ticker_errors_are_named(tmp_path: Path) -> None:
    msg = _error(tmp_path, {**MINIMAL, "ticker": {"x_px": 0, "y_px": 300, "width_px": 640, "height_px": 40,
                                                  "bg_color": "navy"}})
    assert "ticker.bg_color" in msg and "#rrggbb" in msg
    msg = _error(tmp_path, {**MINIMAL, "ticker": {"x_px": 0, "y_px": 340, "width_px": 640, "height_px": 40}})
    assert "ticker" in msg and "does not fit" in msg
    msg = _error(tmp_path, {**MINIMAL, "music": {"kind": "file", "file": "../song.wav"}})
    assert "music.file" in msg and "leaves the template folder" in msg
    # the synthesised pad played instead of the file, silently, in both of these
    assert "played only with kind: file" in _error(tmp_path, {**MINIMAL, "music": {"file": "template.yaml"}})
    assert "needs file:" in _error(tmp_path, {**MINIMAL, "music": {"kind": "file"}})
    msg = _error(tmp_path, {**MINIMAL, "intro": {"duration_s": 2, "background": {"top_color": "#000000",
                                                                                "image": "missing.png"}}})
    assert "intro.background.image" in msg and "does not exist" in msg


def test_background_video_that_is_not_a_video_is_named(tmp_path: Path) -> None:
    from xiaonuan.canvas import Compositor

    folder = _write(tmp_path, {**MINIMAL, "background": {"top_color": "#102040", "video": "set.mp4"}})
    (folder / "set.mp4").write_bytes(b"not a video at all")
    tpl = load_template("t", tmp_path)  # the file exists inside the folder: the YAML is valid
    with pytest.raises(TemplateError, match=r"background video .*set\.mp4.*fix"):
        Compositor(tpl, presenter_size=(300, 300))
    assert "leaves the template folder" in _error(tmp_path, {**MINIMAL, "background": {
        "top_color": "#102040", "video": "../set.mp4"}})


def test_field_assignments_as_people_type_them() -> None:
    from xiaonuan.templates import field_assignment

    assert field_assignment("name=李明") == ("name", "李明")
    assert field_assignment(" title ＝ 记者 ") == ("title", "记者")          # a Chinese IME's full-width ＝
    assert field_assignment("time=10:30=late") == ("time", "10:30=late")    # only the first = splits
    assert field_assignment("novalue") is None and field_assignment("=x") is None


def test_a_key_written_twice_and_a_strap_that_never_shows_are_errors(tmp_path: Path) -> None:
    import yaml

    text = yaml.safe_dump(MINIMAL, sort_keys=False) + "background:\n  top_color: '#ff0000'\n"
    msg = _error(tmp_path, text)                                       # the second one silently won
    assert "'background' is written twice" in msg and "line" in msg
    strap = {"x_px": 40, "y_px": 280, "in_s": 1.0, "out_s": 0.5}
    msg = _error(tmp_path, {**MINIMAL, "lower_third": strap})
    assert "lower_third" in msg and "out_s 0.5 is not after in_s 1" in msg


def test_subtitles_too_big_for_their_line_are_an_error(tmp_path: Path) -> None:
    # 12 characters of 130 px on a 640 px canvas: every subtitle was shrunk, silently
    msg = _error(tmp_path, {**MINIMAL, "subtitles": {"font_size_px": 130, "max_chars": 12}})
    assert "subtitles" in msg and "1560 px wide" in msg and "font_size_px at most" in msg
