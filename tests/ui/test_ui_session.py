"""The page's pure helpers for issue 19: download names from headlines, the size menu, the long-script warning."""

from __future__ import annotations

import pytest

from xiaonuan.ui import app as ui
from xiaonuan.errors import InputError
from xiaonuan.ui.session import SIZE_TEMPLATE, safe_file_name, size_choices, size_height, template_for_aspect


def test_download_names_come_from_the_headline_and_are_safe():
    assert safe_file_name("花展开幕 · 滨江公园") == "花展开幕_滨江公园"
    assert safe_file_name("../../etc/passwd") == "etc_passwd"
    assert safe_file_name("a/b\\c:d*e?\x00") == "a_b_c_d_e"
    assert safe_file_name("...") == "小暖视频" and safe_file_name("") == "小暖视频"
    assert len(safe_file_name("长" * 200)) == 40


def test_the_output_is_named_after_the_title_in_a_generated_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XIAONUAN_DATA", str(tmp_path))
    a, b = ui.new_output("render", "花展/开幕"), ui.new_output("render", "花展/开幕")
    assert a.name == b.name == "花展_开幕.mp4" and a.parent != b.parent
    assert a.parent.is_relative_to(tmp_path / "ui" / "renders")


def test_sizes_set_the_short_side_and_aspects_need_a_template_of_that_shape():
    assert size_choices([(1920, 1080), (1080, 1920)]) == [SIZE_TEMPLATE, "1080p", "720p", "540p", "16:9 横屏",
                                                           "9:16 竖屏"]
    assert size_height("720p", 1920, 1080) == 720 and size_height("720p", 1080, 1920) == 1280
    assert size_height("1080p", 1920, 1080) is None and size_height(SIZE_TEMPLATE, 1920, 1080) is None
    assert size_height("9:16 竖屏", 1080, 1920) is None
    with pytest.raises(InputError, match="not 9:16"):
        size_height("9:16 竖屏", 1920, 1080)
    shapes = {"news": (1920, 1080), "vertical": (1080, 1920)}
    assert template_for_aspect("9:16 竖屏", "news", shapes) == "vertical"
    assert template_for_aspect("16:9 横屏", "news", shapes) == "news"
    assert template_for_aspect("720p", "vertical", shapes) == "vertical"


def test_a_long_script_shows_a_warning_with_its_estimate():
    short = ui.estimate("今天天气很好。")
    long = ui.estimate("今天天气很好，我们一起去公园散步。" * 300)
    assert "⚠" not in short and "⚠" in long and "分钟" in long and "min" in long
