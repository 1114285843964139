"""avatar.py: loading packs, helpful errors, landmark cache rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from xiaonuan.avatar import available_avatars, load_avatar
from xiaonuan.errors import AvatarError
from xiaonuan.paths import avatars_dir


def test_default_avatar_loads():
    av = load_avatar("default")
    assert av.name == "default" and av.size == (av.image.shape[1], av.image.shape[0])
    assert av.image.dtype == np.uint8 and av.image.shape[2] == 3
    assert av.landmarks.shape == (478, 2) and av.landmarks.dtype == np.float32
    assert "public domain" in av.attribution.lower() and av.consent
    assert av.default_voice == "espeak:cmn"
    assert "default" in available_avatars()


def test_unknown_avatar_names_it_and_lists_the_available_ones():
    with pytest.raises(AvatarError) as e:
        load_avatar("nobody-here")
    msg = str(e.value)
    assert "nobody-here" in msg and "default" in msg and "avatar.yaml" in msg


def _copy_pack(tmp_path: Path) -> Path:
    dst = tmp_path / "default"
    shutil.copytree(avatars_dir() / "default", dst)
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
