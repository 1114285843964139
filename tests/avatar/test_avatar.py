"""avatar.py: loading packs, helpful errors, landmark cache rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from xiaonuan.avatar.pack import available_avatars, load_avatar
from xiaonuan.errors import AvatarError
from xiaonuan.paths import avatars_dir

BUILTIN = Path(__file__).resolve().parents[2] / "assets" / "avatar"     # the avatars shipped with the project


def test_default_avatar_loads():
    av = load_avatar("default")
    assert av.name == "default" and av.size == (av.image.shape[1], av.image.shape[0])
    assert av.image.dtype == np.uint8 and av.image.shape[2] == 3
    assert av.landmarks.shape == (478, 2) and av.landmarks.dtype == np.float32
    assert "public domain" in av.attribution.lower() and av.consent
    assert av.default_voice == "kokoro:xiaonuan-f"
    assert "default" in available_avatars()


def test_unknown_avatar_names_it_and_lists_the_available_ones():
    with pytest.raises(AvatarError) as e:
        load_avatar("nobody-here")
    msg = str(e.value)
    assert "nobody-here" in msg and "default" in msg and "avatar.yaml" in msg


def _copy_pack(tmp_path: Path) -> Path:
    dst = tmp_path / "default"
    shutil.copytree(BUILTIN / "default", dst)
    return dst


def test_invalid_manifest_names_file_and_field(tmp_path):
    pack = _copy_pack(tmp_path)
    text = (pack / "avatar.yaml").read_text(encoding="utf-8")
    (pack / "avatar.yaml").write_text("\n".join(l for l in text.splitlines() if not l.startswith("portrait:")),
                                      encoding="utf-8")
    with pytest.raises(AvatarError) as e:
        load_avatar("default", root=tmp_path)
    assert "avatar.yaml" in str(e.value) and "portrait" in str(e.value)


def test_pack_without_consent_loads_but_is_not_consented(tmp_path):
    pack = _copy_pack(tmp_path)
    text = (pack / "avatar.yaml").read_text(encoding="utf-8")
    (pack / "avatar.yaml").write_text("\n".join(l for l in text.splitlines() if not l.startswith("consent:")),
                                      encoding="utf-8")
    assert not load_avatar("default", root=tmp_path).consented


def test_missing_landmark_cache_is_rebuilt(tmp_path):
    pack = _copy_pack(tmp_path)
    original = np.load(pack / "landmarks.npz")["landmarks"]
    (pack / "landmarks.npz").unlink()
    av = load_avatar("default", root=tmp_path)
    assert (pack / "landmarks.npz").is_file()
    assert np.abs(av.landmarks - original).max() < 1.0
    assert available_avatars(tmp_path) == ["default"]


# --------------------------------------------------------------------------- built-in avatars beside the user's


@pytest.fixture
def own_folder(tmp_path, monkeypatch) -> Path:
    """XIAONUAN_AVATARS set to an empty folder of the user's own."""
    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setenv("XIAONUAN_AVATARS", str(mine))
    return mine


def test_builtin_default_stays_available_when_the_avatars_folder_is_elsewhere(own_folder):
    assert avatars_dir() == own_folder
    assert "default" in available_avatars() and available_avatars(builtin=False) == []
    av = load_avatar("default")
    assert av.folder == BUILTIN / "default" and "public domain" in av.attribution.lower()
    assert load_avatar("default", root=own_folder / "elsewhere").folder == BUILTIN / "default"   # --avatars-dir


def test_a_users_pack_of_the_same_name_wins(own_folder):
    pack = _copy_pack(own_folder)
    lines = (pack / "avatar.yaml").read_text(encoding="utf-8").splitlines()
    (pack / "avatar.yaml").write_text("\n".join("attribution: MINE" if line.startswith("attribution:") else line
                                                for line in lines), encoding="utf-8")
    av = load_avatar("default")
    assert av.folder == pack and av.attribution == "MINE"
    assert available_avatars() == ["default"]


def test_remove_keeps_a_builtin_pack_when_the_folder_is_elsewhere(own_folder):
    from xiaonuan.avatar.enrol import remove_avatar

    for root in (None, own_folder):                                  # $XIAONUAN_AVATARS, --avatars-dir
        with pytest.raises(AvatarError) as e:
            remove_avatar("default", root)
        assert "built-in" in str(e.value) and str(own_folder) in str(e.value)
    assert (BUILTIN / "default" / "avatar.yaml").is_file()
    copy = _copy_pack(own_folder)                                    # the user's own copy is theirs to remove
    assert remove_avatar("default") == copy and not copy.exists()
    assert load_avatar("default").folder == BUILTIN / "default"


def test_avatar_list_marks_the_builtin_ones(own_folder):
    from typer.testing import CliRunner

    from xiaonuan.cli.main import app

    result = CliRunner().invoke(app, ["avatar", "list"])
    assert result.exit_code == 0 and "default  (built-in)" in result.output.splitlines()
