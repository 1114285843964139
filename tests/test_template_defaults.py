"""No template default states a fact (issue 19): every text a template shows by default is a name, a label
or an obvious placeholder (【…请在此填写】), never news, weather, figures or a claim to be live; a render that
still shows a placeholder warns."""

from __future__ import annotations

import re

import pytest
import yaml

from xiaonuan.paths import templates_dir
from xiaonuan.render import PLACEHOLDER, placeholder_warnings
from xiaonuan.templates import available_templates, load_template

# a figure (22℃, 3月4日, 50%), weather or a claim to be live: the marks of a stated fact
FACT = re.compile(r"\d|天气|气温|晴|多云|降雨|直播|现场|LIVE|BREAKING|突发|今日|今天|昨天|明天", re.IGNORECASE)
SHAPE_KEYS = {"kind", "color", "weight", "anchor", "position", "gradient", "style", "fit", "image", "video"}


def _texts(node, key=""):
    """Every string a template may draw, with the key it sits under (colours, file names and enums excluded)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "palette":  # named colours, not texts
                yield from _texts(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _texts(v, key)
    elif isinstance(node, str) and key not in SHAPE_KEYS and not key.endswith("color") and key != "description":
        yield key, node


@pytest.mark.parametrize("name", available_templates())
def test_no_template_default_states_a_fact(name):
    raw = yaml.safe_load((templates_dir() / name / "template.yaml").read_text(encoding="utf-8"))
    texts = list(_texts(raw))
    assert texts, "the walk found the template's texts"
    for key, text in texts:
        shown = PLACEHOLDER.sub("", text)  # a placeholder is not a fact, whatever it says
        assert not FACT.search(shown), f"{name}: {key}: {text!r} reads as a fact; use a placeholder 【…：请在此填写】"


@pytest.mark.parametrize("name", available_templates())
def test_a_placeholder_left_in_is_warned_about_and_a_filled_one_is_not(name):
    tpl = load_template(name)
    values = tpl.resolve_fields({})
    holders = [k for k, v in values.items() if PLACEHOLDER.search(v)]
    warnings = placeholder_warnings(values)
    assert len(warnings) == len(holders) and all(k in " ".join(warnings) for k in holders)
    assert placeholder_warnings(tpl.resolve_fields({k: "滨江公园花展开幕" for k in holders})) == []


def test_the_news_ticker_default_is_a_placeholder():
    assert PLACEHOLDER.fullmatch(load_template("news").resolve_fields({})["ticker"])


def test_text_layers_do_not_overlap_and_a_subtitle_over_the_strap_is_caught(tmp_path):
    import shutil

    from xiaonuan.canvas.layout import layer_boxes, overlaps

    for name in available_templates():
        assert overlaps(load_template(name)) == [], name
    copy = tmp_path / "promo"
    shutil.copytree(templates_dir() / "news", copy)
    text = (copy / "template.yaml").read_text(encoding="utf-8")
    # 60 px x 20 characters pass the width check (1200 of 1808 px) but two lines reach up over the strap
    (copy / "template.yaml").write_text(text.replace("  font_size_px: 42\n  color: $text\n  outline_color",
                                                     "  font_size_px: 60\n  color: $text\n  outline_color"),
                                        encoding="utf-8")
    tpl = load_template(str(copy))
    assert tpl.spec.subtitles.font_size_px == 60
    (warning,) = overlaps(tpl)
    assert "headline" in warning and "subtitles" in warning
    assert layer_boxes(tpl)["subtitles"][1] < layer_boxes(tpl)["headline"][3]
