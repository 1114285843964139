"""Composition: presenter in its box, subtitles where a cue is active, real CJK glyphs (speed: bench/)."""

from __future__ import annotations

import numpy as np
import pytest

from xiaonuan.canvas import Compositor, Overlay, render_subtitle
from xiaonuan.fonts import load_font
from xiaonuan.templates import load_template
from xiaonuan.types import PresenterFrame

PRESENTER_RGB = (0, 200, 60)  # a colour the news template itself never uses
NOTDEF = "\U0010fffd"  # a private-use code point no font maps: draws the .notdef box (tofu)


@pytest.fixture(scope="module")
def comp() -> Compositor:
    return Compositor(load_template("news"), fields={"name": "王晓暖", "title": "主播", "date": "2025年1月1日"},
                      presenter_size=(720, 720))


def _presenter() -> np.ndarray:
    return np.broadcast_to(np.array(PRESENTER_RGB, np.uint8), (720, 720, 3)).copy()


def test_presenter_fills_its_box(comp: Compositor) -> None:
    box = comp.template.spec.presenter
    out = comp.frame(_presenter(), 0.0, None).copy()
    assert out.shape == (1080, 1920, 3) and out.dtype == np.uint8
    inner = out[box.y_px + 20:box.y_px + 400, box.x_px + 20:box.x_px + box.width_px - 20]
    assert (np.abs(inner.astype(int) - PRESENTER_RGB).max(axis=2) <= 1).mean() > 0.99
    is_presenter = np.abs(out.astype(int) - PRESENTER_RGB).max(axis=2) <= 1
    outside = is_presenter.copy()
    outside[box.y_px:box.y_px + box.height_px, box.x_px:box.x_px + box.width_px] = False
    assert not outside.any()
    # the headline strap sits above the presenter: its white bar covers the box's lower part
    hb = comp.template.spec.headline
    assert not is_presenter[hb.y_px + 10:hb.y_px + hb.height_px - 10, box.x_px:box.x_px + box.width_px].any()


def test_subtitle_drawn_only_while_a_cue_is_active(comp: Compositor) -> None:
    face = _presenter()
    without = comp.frame(face, 5.0, None).copy()
    with_sub = comp.frame(face, 5.0, "今天上午举行新闻发布会\nAI generated 测试").copy()
    changed = np.abs(with_sub.astype(int) - without).max(axis=2) > 40
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 2000
    st = comp.template.spec.subtitles
    assert ys.max() <= 1080 - st.bottom_margin_px and ys.min() > 1080 // 2
    assert abs((xs.min() + xs.max()) / 2 - 960) < 40  # centred
    again = comp.frame(face, 5.0, None)
    assert np.array_equal(again, without)  # no residue once the cue is over


def test_chinese_glyphs_are_real_not_tofu(comp: Compositor) -> None:
    style = comp.template.spec.subtitles

    def ink(ch: str) -> np.ndarray:
        a = render_subtitle(ch, style, 1000)[..., 3].astype(np.float32)
        return a[:80, :80] if a.shape[0] >= 80 and a.shape[1] >= 80 else np.pad(a, ((0, 80), (0, 80)))[:80, :80]

    nuan, wen, tofu = ink("暖"), ink("闻"), ink(NOTDEF)
    assert np.abs(nuan - wen).mean() > 10
    assert np.abs(nuan - tofu).mean() > 10 and np.abs(wen - tofu).mean() > 10
    # the font's own bitmaps too: distinct glyphs, none equal to .notdef
    font = load_font(48)
    masks = {c: np.asarray(font.getmask(c)) for c in ("暖", "闻", "新", NOTDEF)}
    for c in ("暖", "闻", "新"):
        assert masks[c].shape != masks[NOTDEF].shape or not np.array_equal(masks[c], masks[NOTDEF])


def test_lower_third_slides_in_and_out(comp: Compositor) -> None:
    lt = comp.template.spec.lower_third
    assert comp.lower_third_progress(lt.in_s - 0.1) == 0.0
    mid = comp.lower_third_progress(lt.in_s + lt.transition_s / 2)
    assert 0.0 < mid < 1.0
    assert comp.lower_third_progress(lt.in_s + lt.transition_s) == 1.0
    assert comp.lower_third_progress(lt.out_s + lt.transition_s) == 0.0
    face = _presenter()
    before = comp.frame(face, 0.0).copy()
    shown = comp.frame(face, lt.in_s + 2 * lt.transition_s).copy()
    region = (slice(lt.y_px, lt.y_px + 60), slice(lt.x_px + lt.slide_px, lt.x_px + 300))
    assert np.abs(shown[region].astype(int) - before[region]).mean() > 30


def test_frame_reuses_one_buffer(comp: Compositor) -> None:
    face = _presenter()
    assert comp.frame(face, 0.0) is comp.frame(face, 1.0)


def test_other_presenter_sizes_are_rescaled(comp: Compositor) -> None:
    out = comp.frame(np.full((480, 360, 3), 77, np.uint8), 0.0)
    box = comp.template.spec.presenter
    assert np.all(out[box.y_px + 100, box.x_px + 100] == 77)


def test_overlay_blend_matches_float_reference() -> None:
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    dst = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    ref = dst.astype(np.float64)
    a = rgba[..., 3:4] / 255.0
    ref[5:25, 7:37] = rgba[..., :3] * a + ref[5:25, 7:37] * (1 - a)
    Overlay.from_rgba(rgba).blend_into(dst, 7, 5)
    assert np.abs(dst - ref).max() <= 1.0


def test_faded_overlay_never_overflows() -> None:
    rgba = np.full((4, 4, 4), 255, np.uint8)
    rgba[..., 3] = 238  # nearly opaque white over white: the worst case for the integer sum
    for opacity in np.linspace(0.05, 0.99, 25):
        dst = np.full((4, 4, 3), 255, np.uint8)
        Overlay.from_rgba(rgba).blend_into(dst, 0, 0, opacity=float(opacity))
        assert dst.min() >= 254, opacity


@pytest.mark.parametrize("name", ["news", "explainer", "vertical", "bulletin", "studio"])
def test_every_template_composes_a_story_and_the_wipe_between_stories(name: str) -> None:
    """Slides, subtitles and the wipe between two stories give full frames (speed: bench/bench_compose.py)."""
    from xiaonuan.program import Program, SlideCue, StoryTiming

    cues = (SlideCue("bullet", 0.5, "要点一"), SlideCue("bullet", 1.0, "要点二"))
    prog = Program(0.0, 30.0, 0.0, (StoryTiming(0.0, 10.0, "第一条", {}, cues), StoryTiming(10.0, 30.0, "第二条")))
    comp = Compositor(load_template(name), presenter_size=(720, 720), program=prog)
    face = _presenter()
    assert comp.frame(face, 1.5, "字幕测试 subtitle").shape == (comp.height_px, comp.width_px, 3)
    assert comp.frame(face, 10.0).shape == (comp.height_px, comp.width_px, 3)  # mid-wipe between stories


def test_circle_presenter_and_music_ducking() -> None:
    from xiaonuan.mix import soundtrack
    from xiaonuan.template_spec import Music

    comp = Compositor(load_template("explainer"), presenter_size=(720, 720))
    out = comp.frame(_presenter(), 3.0)
    box = comp.template.spec.presenter
    cy, cx = box.y_px + box.height_px // 2, box.x_px + box.width_px // 2
    assert np.abs(out[cy, cx].astype(int) - PRESENTER_RGB).max() <= 2
    assert np.abs(out[box.y_px + 3, box.x_px + 3].astype(int) - PRESENTER_RGB).max() > 40  # corner: not presenter
    rate = 16000
    speech = np.zeros(rate * 4, np.float32)
    speech[rate:2 * rate] = 0.5 * np.sin(np.arange(rate) / 5.0)
    music = Music(volume_db=-20, duck_db=-12, fade_s=0.2)
    with_speech = soundtrack(speech, rate, rate // 2, rate * 5, music)
    without = soundtrack(np.zeros_like(speech), rate, rate // 2, rate * 5, music)
    bed = with_speech.copy()
    bed[rate // 2 + rate:rate // 2 + 2 * rate] -= speech[rate:2 * rate]  # the music alone under the speech
    window = slice(int(rate * 1.8), int(rate * 2.4))
    quiet = np.sqrt(np.mean(without[window] ** 2))
    ducked = np.sqrt(np.mean(bed[window] ** 2))
    assert quiet > 0.008 and ducked < quiet * 0.5


def test_soundtrack_without_music_or_lead_is_the_speech_itself() -> None:
    """A 10-minute script's samples are not copied into a second full-length track (peak memory, #7)."""
    from xiaonuan.mix import soundtrack
    from xiaonuan.speech import concat

    pcm = [np.array([16384, -32768], np.int16), np.zeros(3, np.int16), np.array([8192], np.int16)]
    speech = concat(pcm, 1 / 32768)
    assert speech.dtype == np.float32 and speech.tolist() == [0.5, -1.0, 0, 0, 0, 0.25]
    track = soundtrack(speech, 16000, 0, 4, None)
    assert np.shares_memory(track, speech) and track.tolist() == speech[:4].tolist()  # cut to the video
    led = soundtrack(speech, 16000, 2, 10, None)  # behind an intro card: placed on a track of its own
    assert led.tolist() == [0, 0, 0.5, -1.0, 0, 0, 0, 0.25, 0, 0]


def test_slide_images_accumulate_side_by_side(tmp_path) -> None:
    """Each image of a story gets its own cell of the panel's image area: a new image never covers an
    earlier one, and an image's cell stays empty until its sentence is spoken."""
    from PIL import Image

    from xiaonuan.program import Program, SlideCue, StoryTiming

    colours = [(250, 40, 40), (40, 40, 250), (250, 200, 0)]
    cues = [SlideCue("bullet", 0.5, "要点")]
    for i, (c, size) in enumerate(zip(colours, [(800, 500), (500, 500), (400, 600)])):
        Image.new("RGB", size, c).save(tmp_path / f"{i}.png")
        cues.append(SlideCue("image", 2.0 + 2 * i, f"图{i + 1}", tmp_path / f"{i}.png"))
    prog = Program(0.0, 30.0, 0.0, (StoryTiming(0.0, 30.0, "图片", {}, tuple(cues)),))
    comp = Compositor(load_template("explainer"), presenter_size=(720, 720), program=prog)
    sp = comp.template.spec.slides
    panel = (slice(sp.y_px, sp.y_px + sp.height_px), slice(sp.x_px, sp.x_px + sp.width_px))

    def boxes(t_s: float) -> list[tuple[int, int, int, int] | None]:
        out = comp.frame(_presenter(), t_s)[panel].astype(int)
        found = []
        for c in colours:
            ys, xs = np.nonzero(np.abs(out - c).max(axis=2) <= 3)
            found.append((xs.min(), ys.min(), xs.max(), ys.max()) if ys.size > 500 else None)
        return found

    one, two, three = boxes(3.0), boxes(5.0), boxes(10.0)
    assert one[0] is not None and one[1] is None and one[2] is None  # the second cell is still empty
    assert two[0] is not None and two[1] is not None and two[2] is None
    assert all(b is not None for b in three)  # all three at once
    for i in range(3):
        for j in range(i + 1, 3):  # no two pictures overlap
            a, b = three[i], three[j]
            assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1], (a, b)
    assert three[0] == two[0] == one[0]  # an image stays where it appeared


def test_background_video_shows_around_a_round_presenter(tmp_path) -> None:
    """A circle presenter over a background video: the clip moves in the box's corners (pasted through
    the mask, not restored from a still), the presenter fills the circle, static shapes stay."""
    import shutil

    import yaml

    from xiaonuan.loopvideo import LoopingVideo
    from xiaonuan.paths import templates_dir

    folder = tmp_path / "t"
    folder.mkdir()
    shutil.copy(templates_dir() / "studio" / "loop.mp4", folder / "loop.mp4")
    spec = {"canvas": {"width_px": 640, "height_px": 360, "fps": 25},
            "background": {"top_color": "#000000", "video": "loop.mp4", "video_loop_fade_s": 0,
                           "shapes": [{"kind": "rect", "x_px": 20, "y_px": 20, "width_px": 100, "height_px": 40,
                                       "color": "#ff0000ff"}]},
            "presenter": {"x_px": 300, "y_px": 40, "width_px": 240, "height_px": 240, "style": "circle"}}
    (folder / "template.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    comp = Compositor(load_template("t", tmp_path), presenter_size=(720, 720))
    face = _presenter()
    a, b = comp.frame(face, 0.0).astype(int), comp.frame(face, 2.5).astype(int)
    corner = (slice(42, 60), slice(302, 320))  # inside the box, outside the circle
    with LoopingVideo(folder / "loop.mp4", (640, 360), 25, 0.0) as clip:
        assert np.abs(a[corner] - clip.frame(0)[corner]).max() <= 2
        assert np.abs(b[corner] - clip.frame(62)[corner]).max() <= 2
    assert np.abs(a[corner] - b[corner]).mean() > 3  # the clip moved there
    assert np.abs(a[160, 420] - PRESENTER_RGB).max() <= 2 and np.abs(b[160, 420] - PRESENTER_RGB).max() <= 2
    assert np.all(a[30:50, 30:110] == (255, 0, 0)) and np.all(b[30:50, 30:110] == (255, 0, 0))  # static shape
    comp.close()


def _portrait() -> np.ndarray:
    from xiaonuan.avatar.pack import load_avatar

    return load_avatar("default").image


def test_pose_is_applied_in_the_placement(comp: Compositor) -> None:
    # issue #7: one warp from the un-posed frame into the box replaces a whole-frame warp and a resize
    import cv2

    from xiaonuan.animate import pose_matrix

    box = comp.template.spec.presenter
    face = _portrait()
    m = pose_matrix((360.0, 600.0), 150.0, 720, (4.0, -3.0, 2.5), breath=0.8)
    posed = cv2.warpAffine(face, m, (720, 720), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    two_steps = comp.frame(posed, 0.0, None).copy()
    one_step = comp.frame(face, 0.0, None, pose=m).copy()
    unposed = comp.frame(face, 0.0, None).copy()
    inner = (slice(box.y_px + 12, box.y_px + 600), slice(box.x_px + 12, box.x_px + box.width_px - 12))
    diff = np.abs(one_step[inner].astype(int) - two_steps[inner])
    assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 8     # one resampling instead of two: a bit sharper
    assert np.abs(unposed[inner].astype(int) - two_steps[inner]).mean() > 4 * diff.mean()   # the pose shows
    outside = np.ones(one_step.shape[:2], bool)
    outside[box.y_px:box.y_px + box.height_px, box.x_px:box.x_px + box.width_px] = False
    assert np.array_equal(one_step[outside], two_steps[outside])


def test_stream_applies_each_frames_pose(comp: Compositor) -> None:
    face = _portrait()
    shift = np.float32([[1, 0, 9], [0, 1, -5]])
    poses = [None, shift, None]
    streamed = [f.copy() for f in comp.stream([PresenterFrame(face, None, pose) for pose in poses])]
    n_intro = round(comp.program.intro_s * comp.fps)
    for k, pose in enumerate(poses):
        assert np.array_equal(streamed[n_intro + k], comp.frame(face, (n_intro + k) / comp.fps, None, pose=pose))
    assert not np.array_equal(streamed[n_intro], streamed[n_intro + 1])


def test_a_posed_matte_moves_with_its_frame() -> None:
    # a matte template: the presenter's alpha goes through the same warp as the frame (issue #7)
    import cv2

    comp = Compositor(load_template("bulletin"), presenter_size=(720, 720))
    face = _portrait()
    alpha = np.zeros((720, 720), np.uint8)
    alpha[150:600, 200:520] = 255
    shift = np.float32([[1, 0, 24], [0, 1, -16]])
    t = comp.program.intro_s + 1.0
    moved = [cv2.warpAffine(x, shift, (720, 720), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
             for x in (face, alpha)]
    expected = comp.frame(moved[0], t, None, matte=moved[1]).copy()
    got = comp.frame(face, t, None, matte=alpha, pose=shift).copy()
    still = comp.frame(face, t, None, matte=alpha).copy()
    assert np.abs(got.astype(int) - expected).mean() < 0.2
    assert np.abs(still.astype(int) - expected).mean() > 2


def test_the_wipe_sweeps_in_from_the_edge_across_the_whole_transition() -> None:
    from xiaonuan.program import Program, StoryTiming

    prog = Program(0.0, 20.0, 0.0, (StoryTiming(0.0, 10.0, "第一条", {}), StoryTiming(10.0, 20.0, "第二条")))
    comp = Compositor(load_template("bulletin").at_height(360), presenter_size=(720, 720), program=prog)
    tr = comp.template.spec.transition
    face = _presenter()
    band = np.array(tr.color[:3], np.int16)
    edges = []                                              # the band's leading (right) edge, frame by frame
    for k in range(1, 10):                                  # 9 moments inside the transition, centred on 10 s
        t = 10.0 - tr.duration_s / 2 + k * tr.duration_s / 10
        frame = comp.frame(face, t).astype(np.int16)
        edges.append(int(np.flatnonzero((np.abs(frame - band).max(axis=2) < 12).sum(axis=0) > 20).max(initial=0)))
    # it was drawn only from the cut on (t >= 10 s): it popped in half-way across, over the new story's words
    assert edges[0] < comp.width_px * 0.25, edges
    assert all(b > a for a, b in zip(edges[:6], edges[1:7])), edges   # in from the left edge, all the way
    assert edges[-1] == comp.width_px - 1


@pytest.mark.parametrize("name", ["explainer", "bulletin", "vertical", "news"])
def test_a_long_name_in_the_lower_third_stays_on_the_canvas(name: str) -> None:
    long_name = "欧阳娜娜娜娜娜娜·阿卜杜拉赫曼·克里斯蒂安森"
    tpl = load_template(name).at_height(360)
    comp = Compositor(tpl, fields={"name": long_name, "title": "国际传播专家、首席评论员兼特约研究员"},
                      presenter_size=(720, 720))
    lower, lt = comp._story(0).lower, tpl.spec.lower_third
    assert lower is not None and lt.x_px + lower.width_px <= comp.width_px, (lt.x_px, lower.width_px)  # ran off


def test_slide_items_that_do_not_fit_the_panel_are_reported() -> None:
    from pathlib import Path

    from xiaonuan.program import Program, SlideCue, StoryTiming

    picture = Path(__file__).parents[2] / "examples" / "bins.png"
    cues = (SlideCue("image", 0.2, "分类桶", picture),
            *(SlideCue("bullet", 0.5 + i, f"第{i + 1}点很重要。") for i in range(8)))
    prog = Program(0.0, 10.0, 0.0, (StoryTiming(0.0, 10.0, "要点", {}, cues),))
    comp = Compositor(load_template("explainer").at_height(360), presenter_size=(720, 720), program=prog)
    shown = len(comp._story(0).items)
    assert shown < len(cues)                                   # the picture has no room left under 8 bullets
    assert comp.warnings and f"{len(cues) - shown} of its {len(cues)} slide items" in comp.warnings[0]
    few = Program(0.0, 10.0, 0.0, (StoryTiming(0.0, 10.0, "要点", {}, cues[:3]),))
    assert Compositor(load_template("explainer").at_height(360), presenter_size=(720, 720), program=few).warnings == []


def _ink_bands(rgba: np.ndarray) -> list[tuple[int, int]]:
    """[first, last] rows of each horizontal band of ink (text lines) in an RGBA overlay."""
    rows = (rgba[..., 3] > 128).any(axis=1)
    bands: list[tuple[int, int]] = []
    for y in np.nonzero(rows)[0]:
        if bands and y == bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], int(y))
        else:
            bands.append((int(y), int(y)))
    return bands


def test_a_long_translation_wraps_onto_a_second_line_at_its_own_size() -> None:
    # it was shrunk to the minimum, then cut with '…' ("…were finished ah…") and the rest never shown
    from dataclasses import replace

    st = replace(load_template("vertical").spec.subtitles, shadow_color=None, outline_px=0)  # clean bands
    max_w = 1000
    long_en = "Twelve key projects in the city were finished ahead of schedule, benefiting two million"
    assert load_font(st.translation_font_size_px, "Medium").getlength(long_en) > max_w  # needs two lines
    short = _ink_bands(render_subtitle("全市十二个重点项目提前完工", st, max_w, (), "Twelve key projects"))
    wrapped = render_subtitle("全市十二个重点项目提前完工", st, max_w, (), long_en)
    bands = _ink_bands(wrapped)
    assert len(short) == 2 and len(bands) == 3, bands  # Chinese, then the English on two lines
    pitch = int(st.translation_font_size_px * st.line_spacing)
    assert abs((bands[2][0] - bands[1][0]) - pitch) <= 3  # the second line is a full line below, not shrunk
    assert abs((bands[1][1] - bands[1][0]) - (short[1][1] - short[1][0])) <= 2  # same glyph height as unwrapped
    ink_cols = np.nonzero((wrapped[..., 3] > 128).any(axis=0))[0]
    assert ink_cols[-1] - ink_cols[0] <= max_w  # and it fits the width
