from pathlib import Path

import pytest

from xiaonuan.errors import ScriptError
from xiaonuan.script import PARAGRAPH_PAUSE_MS, SENTENCE_PAUSE_MS, load_script, parse_script


def _png(path):
    from PIL import Image

    Image.new("RGB", (8, 6), (200, 30, 30)).save(path)


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


def test_units_the_voice_reads_are_kept_for_it_and_the_subtitles():
    # ℃ ° ㎡ ℉ are symbols ("So") like emoji, but normalize.py reads them (零下三点五摄氏度) and the font has them
    s = parse_script("气温-3.5℃，面积50㎡。🎉 Tonight 98.6℉, 20° warmer.")
    assert [x.text for x in s.sentences] == ["气温-3.5℃，面积50㎡。", "Tonight 98.6℉, 20° warmer."]


def test_pause_without_a_length_and_between_paragraphs():
    from xiaonuan.script import DEFAULT_PAUSE_MS

    s = parse_script("第一句。[pause]第二句。\n\n[pause 2s]\n\n第三句。[ Pause 300ms ]")
    assert [x.text for x in s.sentences] == ["第一句。", "第二句。", "第三句。"]   # no marker is read or shown
    assert s.sentences[0].pause_after_ms == DEFAULT_PAUSE_MS
    assert s.sentences[1].pause_after_ms == 2000                # a pause on its own line lengthens the one before it
    assert s.sentences[2].pause_after_ms == PARAGRAPH_PAUSE_MS  # never shorter than a paragraph's own


@pytest.mark.parametrize("mark, says", [("[pause 1.5秒]", "not a pause"), ("[pause 2 sec]", "not a pause"),
                                        ("[pause 1,5s]", "not a pause"), ("[pause 30s]", "longest pause"),
                                        ("[pause -1s]", "not a pause"), ("[pause abc]", "not a pause"),
                                        ("[Pause for thought]", "not a pause")])
def test_a_pause_it_cannot_read_is_an_error_with_its_line(mark, says):
    # each of these used to be read aloud and shown in the subtitles ("pause 负一 s")
    with pytest.raises(ScriptError, match=rf"line 3: .*{says}.*") as e:
        parse_script(f"# 标题\n\n第一句。{mark}第二句。")
    assert mark in str(e.value)


@pytest.mark.parametrize("text, fix", [("第一句。[pause 1s", r"\[pause 1s is not a pause"),
                                       ("第一句。[pasue 1s]第二句。", r"misspelt marker: write \[pause 1s\]"),
                                       ("[expresion warm]第一句。", r"misspelt marker: write \[expression warm\]"),
                                       ("[expression warm 第一句。", "no closing"),
                                       ("[Expressoin serious]第一句。", "misspelt")])
def test_a_misspelt_or_unclosed_marker_is_an_error_not_speech(text, fix):
    with pytest.raises(ScriptError, match=rf"line 1: .*{fix}"):
        parse_script(text)
    kept = parse_script("[记者 张三]大家好。[Update 2]")            # other brackets are the author's text
    assert "".join(x.text for x in kept.sentences) == "[记者 张三]大家好。[Update 2]"


@pytest.mark.parametrize("text, sentences", [
    ("On Jan. 5, 2026 the market rose. It fell on Feb. 28.", 2),      # a month before its day
    ("Apple Inc. said it would buy the firm. The deal closed.", 2),   # a stop before a lower-case word
    ("Sen. Warren and Gov. Newsom spoke. I was born in Jan. My sister was not.", 3),
    ("Apple reported growth. iPhone sales rose.", 2),                 # a brand in lower case starts one
])
def test_full_stops_that_do_not_end_a_sentence(text, sentences):
    # each split used to put a pause mid-sentence and hide "Jan. 5" from the date reading (Jan. five)
    assert len(parse_script(text).sentences) == sentences


def test_html_pasted_from_a_web_editor_is_not_read_out():
    s = parse_script("# 标题\n\n<p>这是<b>重要</b>的消息。<br/>第二句。</p>\n<!-- 编辑：\n下周再改 -->\n"
                     "第三句<span style='color:red'>很好</span>。")
    assert [x.text for x in s.sentences] == ["这是重要的消息。", "第二句。", "第三句很好。"]
    assert s.sentences[0].emphasis == ((2, 4),)                       # <b> is **emphasis**
    assert parse_script("If a < b and c > d, we stop.").sentences[0].text == "If a < b and c > d, we stop."
    # a whole page: the CSS, scripts and <head> (its <title>) are not read either
    page = ("<html><head><title>后台</title><style>\np { color: red; }\n</style></head><body>\n"
            "<p>大家好。</p><script>alert(1)</script>\n<p>[pause 9x]</p></body></html>")
    with pytest.raises(ScriptError, match="line 5: "):   # line numbers still count the removed lines
        parse_script(page)
    assert [x.text for x in parse_script(page.replace("9x", "1s")).sentences] == ["大家好。"]


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
    _png(tmp_path / "map.png")
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
    # a web address was "missing, check the file name"; both say their line now
    with pytest.raises(ScriptError, match=r"line 3: slide image 'https://ex.com/a.png' is a web address: download"):
        parse_script("第零句。\n\n![x](https://ex.com/a.png)\n今天开幕。", base_dir=tmp_path)
    with pytest.raises(ScriptError, match=r"line 2: slide image 'missing.png' does not exist"):
        parse_script("第零句。\n![x](missing.png)\n今天开幕。", base_dir=tmp_path)


def test_expression_marker_sets_the_following_sentences():
    s = parse_script("---\nexpression: serious\n---\n第一句。[expression warm]第二句。第三句。\n\n"
                     "[expression neutral]\n\n第四句。")
    assert [x.text for x in s.sentences] == ["第一句。", "第二句。", "第三句。", "第四句。"]
    assert [x.expression for x in s.sentences] == ["", "warm", "warm", "neutral"]  # "": the default (serious)
    assert s.fields["expression"] == "serious"


def test_expression_marker_inside_a_sentence_applies_from_the_next():
    """The face changes only in a pause: a marker after a sentence's first word waits for the next sentence."""
    s = parse_script("Good morning [EXPRESSION Warm] everyone. Here is the news.\n今天天气[expression serious]很好。")
    assert [x.text for x in s.sentences] == ["Good morning everyone.", "Here is the news.", "今天天气很好。"]
    assert [x.expression for x in s.sentences] == ["", "warm", "warm"]
    assert parse_script("第一句。第二句[expression warm]").sentences[1].text == "第二句"


def test_story_expression_attribute_holds_for_its_story_only():
    s = parse_script("# 要闻\n\n开场。\n\n## 花展开幕 {name: 李明, expression: warm}\n花展开幕。\n"
                     "[expression serious] 请注意安全。\n\n## 天气\n明天有雨。\n")
    assert [x.expression for x in s.sentences] == ["", "warm", "serious", ""]
    assert [x.story for x in s.sentences] == [0, 1, 1, 2]
    assert s.stories[1].fields == {"name": "李明"} and s.stories[1].headline == "花展开幕"


@pytest.mark.parametrize("text,where", [
    ("---\nname: 小暖\n---\n第一句。\n第二句。[expression happy]", r"line 5: \[expression happy\]"),
    ("第一句。[expression]", r"line 1: \[expression\]"),
    ("# 要闻\n\n## 花展 {expression: happy}\n花展开幕。", "line 3: story heading '花展 {expression: happy}'"),
    ("---\nexpression: grumpy\n---\n你好。", "front matter expression"),
    ("# 要闻\n\n## 花展 [expression warm]\n花展开幕。", "line 3: a heading sets its expression as an attribute"),
])
def test_unknown_expression_names_the_marker_line_and_choices(text, where):
    with pytest.raises(ScriptError, match=where) as err:
        parse_script(text)
    assert "neutral, warm, serious" in str(err.value) or "{expression: warm}" in str(err.value)


FRONT_MATTER_LEXICON = """\
---
name: 小暖
lexicon:
  zh:
    行长: hang2 zhang3
  en:
    Xiaonuan: {say: Show nwahn}
---
行长今天讲话。
"""


def test_front_matter_lexicon_is_the_scripts_own_and_not_a_template_field():
    s = parse_script(FRONT_MATTER_LEXICON)
    assert s.fields == {"name": "小暖"}  # not shown anywhere as a template variable
    assert s.lexicon.words("zh")["行长"].reading == "hang2 zhang3"
    assert s.lexicon.words("en")["Xiaonuan"].kind == "say"
    assert parse_script("你好。").lexicon is None


@pytest.mark.parametrize("block,message", [
    ("lexicon:\n  zh:\n    行长: {pinyin: hang zhang}\n", r"story.md:4: entry '行长'.*tone digit 1-5, e.g. 'yin2 hang2'"),
    ("lexicon:\n  zh:\n    行长: {pinyin: hang2 zhang3, say: 航长}\n", r"story.md:4: entry '行长'.*exactly one of"),
    ("lexicon:\n  jp:\n    行長: x\n", r"story.md:3: unknown section 'jp': use zh or en"),
    ("lexicon:\n  zh: [行长]\n", r"story.md:3: section 'zh' must hold 'word: reading' lines"),
    ("lexicon: 行长 hang2\n", r"story.md:2: the front matter's lexicon must be zh: and/or en: sections"),
])
def test_front_matter_lexicon_errors_name_the_line_and_the_fix(block, message):
    from xiaonuan.errors import InputError

    with pytest.raises(InputError, match=message):
        parse_script(f"---\n{block}---\n行长今天讲话。\n", source="story.md")


def test_a_slide_image_that_is_not_a_picture_is_named(tmp_path):
    # it used to pass the parser and crash the compositor with PIL's traceback
    (tmp_path / "notes.png").write_bytes(b"these are my notes, not a picture")
    _png(tmp_path / "ok.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "ok.png").read_bytes()[:40])     # truncated
    assert parse_script("![ok](ok.png)\n第一句。", base_dir=tmp_path).stories[0].slides[0].image.name == "ok.png"
    for name in ("notes.png", "cut.png"):
        with pytest.raises(ScriptError, match=rf"slide image '{name}' is not a picture"):
            parse_script(f"![x]({name})\n第一句。", base_dir=tmp_path)


def test_a_markdown_table_is_read_row_by_row_not_as_pipes():
    s = parse_script("# 天气\n\n| 城市 | 气温 |\n|---|:---:|\n| 北京 | 5℃ |\n| 上海 | **12℃** |\n\nThe end.")
    assert [x.text for x in s.sentences] == ["城市，气温。", "北京，5℃。", "上海，12℃。", "The end."]
    assert s.sentences[2].emphasis == ((3, 6),)                        # **…** in a cell is still emphasis
    assert [x.text for x in parse_script("| Item | Price |\n| --- | --- |\n| Tea | $3 |").sentences] == [
        "Item, Price.", "Tea, $3."]


@pytest.mark.parametrize("text, language", [
    ("OpenAI发布ChatGPT。", "zh"),                                    # went to the English voice: "Chinese letter"
    ("OpenAI发布GPT-5。Apple CEO Tim Cook出席WWDC大会。", "zh"),
    ("Interview with 李明 about the new policy in Beijing and the economy today.", "en"),
    ("今天天气很好。", "zh"), ("The weather is fine today.", "en"),
])
def test_the_language_counts_words_not_letters(text, language):
    assert parse_script(text).language == language


@pytest.mark.parametrize("text, says", [
    ("## 故事 {name: 李明\n\n第一句。", r"line 1: .*opens a '\{' it never closes"),     # shown as the headline
    ("> hello\n\n第一句。", "line 1: a '>' translation line comes before any sentence"),  # dropped silently
    ("## 只有图片\n\n![图](x.png)\n\n## 第二\n\n第二句。", "line 1: the story '只有图片' has no text"),  # vanished
    ("第零句。\n\n## \n\n第一句。", "line 3: an empty story heading"),               # merged into the one before
])
def test_story_markup_that_would_vanish_is_an_error_with_its_line(text, says):
    with pytest.raises(ScriptError, match=says):
        parse_script(text)


def test_each_picture_shows_with_the_sentence_after_it_inside_one_paragraph(tmp_path):
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes((Path(__file__).parents[1] / "examples" / "bins.png").read_bytes())
    script = tmp_path / "s.md"
    script.write_text("# 标题\n\n![甲](a.png)\n第一句。\n![乙](b.png)\n第二句。\n", encoding="utf-8")
    s = load_script(script)
    # both used to show with the paragraph's first sentence
    assert [(i.text, i.sentence) for st in s.stories for i in st.slides] == [("甲", 0), ("乙", 1)]
    assert [x.paragraph for x in s.sentences] == [0, 0]                  # still one paragraph: its pauses
