import pytest

from xiaonuan.errors import ScriptError
from xiaonuan.script import PARAGRAPH_PAUSE_MS, SENTENCE_PAUSE_MS, load_script, parse_script


def test_chinese_sentences_title_and_front_matter():
    s = parse_script("---\nname: 李明\n---\n# 今日要闻\n\n今天上午，市政府召开发布会。会议介绍了情况！大家好吗？\n\n第二段。\n")
    assert s.title == "今日要闻"
    assert s.language == "zh"
    assert s.fields == {"name": "李明"}
    assert [x.text for x in s.sentences] == ["今天上午，市政府召开发布会。", "会议介绍了情况！", "大家好吗？", "第二段。"]
    assert [x.paragraph for x in s.sentences] == [0, 0, 0, 1]
    assert s.sentences[0].pause_after_ms == SENTENCE_PAUSE_MS
    assert s.sentences[2].pause_after_ms == PARAGRAPH_PAUSE_MS


def test_english_sentences_keep_abbreviations_and_drop_emoji():
    s = parse_script("Hello world. This is Dr. Smith speaking 🎉 today! U.S. policy is set.")
    assert s.language == "en"
    assert [x.text for x in s.sentences] == ["Hello world.", "This is Dr. Smith speaking  today!", "U.S. policy is set."]


def test_plain_text_title_line_is_not_spoken():
    s = parse_script("城市花展开幕\n\n花展今天开幕。")
    assert s.title == "城市花展开幕"
    assert s.text == "花展今天开幕。"


def test_pause_mark_and_markdown_emphasis():
    s = parse_script("第一句**很重要**[pause 1.5s]第二句。")
    assert [x.text for x in s.sentences] == ["第一句很重要", "第二句。"]
    assert s.sentences[0].pause_after_ms == 1500


@pytest.mark.parametrize("text", ["", "   \n\n  ", "# 只有标题\n", "。。！", "🎉🎉"])
def test_nothing_to_speak_is_an_error(text):
    with pytest.raises(ScriptError, match="no text to speak"):
        parse_script(text)


def test_too_long_and_unreadable_files(tmp_path):
    with pytest.raises(ScriptError, match="limit"):
        parse_script("好" * 20_001)
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("你好".encode("gbk"))
    with pytest.raises(ScriptError, match="UTF-8"):
        load_script(bad)
    with pytest.raises(ScriptError, match="does not exist"):
        load_script(tmp_path / "missing.md")


def test_stories_emphasis_bullets_translation_and_slides(tmp_path):
    (tmp_path / "map.png").write_bytes(b"png")
    text = ("---\nticker: 快讯\n---\n# 本周要闻\n\n开场白。\n\n## 花展开幕 {name: 李明, title: 记者}\n"
            "花展今天**开幕**。\n> The show opened today.\n- 一百多个品种\n\n## 第二条\n![地图](map.png)\n第二条内容。\n")
    (tmp_path / "s.md").write_text(text, encoding="utf-8")
    s = load_script(tmp_path / "s.md")
    assert [st.headline for st in s.stories] == ["本周要闻", "花展开幕", "第二条"]
    assert s.stories[1].fields == {"name": "李明", "title": "记者"}
    assert [x.story for x in s.sentences] == [0, 1, 1, 2]
    assert s.sentences[1].text == "花展今天开幕。" and s.sentences[1].emphasis == ((4, 6),)
    assert s.sentences[1].translation == "The show opened today." and s.bilingual
    assert s.sentences[2].bullet and s.stories[1].slides[0].text == "一百多个品种"
    img = s.stories[2].slides[0]
    assert img.kind == "image" and img.sentence == 3 and img.image == (tmp_path / "map.png").resolve()


def test_slide_images_may_not_leave_the_script_folder(tmp_path):
    for ref in ("../x.png", "/etc/passwd", "missing.png"):
        with pytest.raises(ScriptError, match="slide image"):
            parse_script(f"![x]({ref})\n今天开幕。", base_dir=tmp_path)
