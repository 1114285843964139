"""The Create tab's polyphone fix (多音字): select a word in the script, pick its reading (or type pinyin), and
it is saved to the project's lexicon.yaml, which every later render, the Listen button and `xiaonuan say`
read (lexicon.project_lexicon_path)."""


from ..errors import XiaonuanError
from ..lexicon import project_lexicon_path, reading_choices, save_reading

NOT_CHINESE = "选中一个中文词（1–8 个汉字）Select a Chinese word (1–8 characters) in the script."


def offer(word: str) -> tuple[list[str], str]:
    """(readings to choose from, a note) for a word selected in the script."""
    word = (word or "").strip()
    choices = reading_choices(word)
    if not choices:
        return [], NOT_CHINESE if word else ""
    return choices, (f"「{word}」: 选择读音后保存 pick its reading, then Save; 第一项是现在的读法 the first is how "
                     "it is read now.")


def save(word: str, picked: str | None, typed: str) -> str:
    """Save the typed pinyin (else the picked reading) for `word` in the project's lexicon; returns a note."""
    word, reading = (word or "").strip(), (typed or "").strip() or (picked or "")
    if not word or not reading:
        return "先选中一个词并选择读音 Select a word and pick (or type) its reading first."
    try:
        save_reading(word, reading)
    except XiaonuanError as e:
        return f"**未保存 Not saved.** {e}"
    return (f"已保存 Saved 「{word}」→ `{' '.join(reading.lower().split())}` in `{project_lexicon_path().name}`: "
            "以后的生成、试听和 `xiaonuan say` 都按此读 later renders, Listen and `xiaonuan say` read it so.")


def pronunciation_panel(gr, script) -> None:
    """The panel's widgets and events, inside the Create tab's column; `script` is the script box."""
    with gr.Accordion("读音 Pronunciation · 多音字 (在稿件中选中一个词 select a word in the script)", open=False,
                      elem_id="lex-panel"):
        with gr.Row():
            word = gr.Textbox(label="词 Word", elem_id="lex-word", scale=1, min_width=120)
            readings = gr.Radio([], label="读音 Reading", elem_id="lex-readings", scale=3)
            typed = gr.Textbox(label="或输入拼音 or type pinyin", placeholder="yin2 hang2", elem_id="lex-typed",
                               scale=1, min_width=140)
            keep = gr.Button("保存读音 Save reading", elem_id="lex-save", scale=0, min_width=140)
        note = gr.Markdown("", elem_id="lex-note")

    def show(text):
        choices, line = offer(text)
        return gr.Radio(choices=choices, value=choices[0] if choices else None), line

    def selected(evt: gr.SelectData):
        text = evt.value if isinstance(evt.value, str) else ""
        return (text.strip(), *show(text))

    script.select(selected, None, [word, readings, note], queue=False, show_progress="hidden")
    word.submit(show, word, [readings, note], queue=False)
    word.blur(show, word, [readings, note], queue=False)
    keep.click(save, [word, readings, typed], note, queue=False)
