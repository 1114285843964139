"""Templates of your own by name (issue 19): a folder in paths.user_templates_dir() ($XIAONUAN_TEMPLATES, else
<data>/templates) is listed and loaded like a built-in one, and the web page's menu shows it with its
description."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xiaonuan.errors import TemplateError
from xiaonuan.paths import user_templates_dir
from xiaonuan.templates import available_templates, is_own_template, load_template, template_folder
from xiaonuan.ui import session

ROOT = Path(__file__).resolve().parents[1]


def _copy(dest: Path, description: str) -> Path:
    shutil.copytree(ROOT / "templates" / "news", dest)
    yaml_path = dest / "template.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("description:"))
    yaml_path.write_text(text.replace(old, f"description: {description}"), encoding="utf-8")
    return dest


def test_your_template_is_listed_and_loaded_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("XIAONUAN_TEMPLATES", raising=False)
    assert user_templates_dir() == tmp_path / "data" / "templates"
    _copy(tmp_path / "data" / "templates" / "promo", "Promo — the marketer's copy")
    _copy(tmp_path / "data" / "templates" / "news", "Not the real news")  # a built-in name: the built-in wins
    assert "promo" in available_templates() and available_templates().count("news") == 1
    assert is_own_template("promo") and not is_own_template("news")
    assert template_folder("promo") == tmp_path / "data" / "templates" / "promo"
    tpl = load_template("promo")
    assert tpl.name == "promo" and tpl.spec.description == "Promo — the marketer's copy"
    assert load_template("news").spec.description.startswith("Studio news")
    monkeypatch.setenv("XIAONUAN_TEMPLATES", str(tmp_path / "elsewhere"))
    assert "promo" not in available_templates()
    with pytest.raises(TemplateError, match="elsewhere"):  # the fix names where your templates go
        load_template("promo")


def test_the_menu_shows_descriptions_and_marks_yours():
    catalogue = {"news": (1920, 1080, "Studio news — deep blue set", False),
                 "promo": (1280, 720, "Promo — the marketer's copy", True)}
    assert session.template_choices(catalogue) == [("news · Studio news", "news"),
                                                   ("promo · 我的 mine · Promo", "promo")]
    assert session.template_info("promo", catalogue) == \
        "我的模板 your template `promo` · 1280x720 · Promo — the marketer's copy"
    assert session.template_info("gone", catalogue) == ""
