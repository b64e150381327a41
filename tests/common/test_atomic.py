"""atomic_directory: complete folders or none, and the old one kept when writing fails."""

import os

import pytest

import tfjs_bridge.common.atomic as atomic
from tfjs_bridge.common.atomic import atomic_directory


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames-fallback"])
def test_replaces_existing_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_directory(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_error_keeps_old_folder_and_cleans_up(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("converter died")
    assert (target / "old.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_replacement_is_one_exchange_on_linux(tmp_path, monkeypatch):
    """The swap uses renameat2(RENAME_EXCHANGE), so there is no moment without the folder."""
    target = tmp_path / "model"
    target.mkdir()
    renames = []
    real_rename = os.rename
    monkeypatch.setattr(atomic.os, "rename", lambda a, b: renames.append((a, b)) or real_rename(a, b))
    with atomic_directory(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert (target / "new.txt").read_text() == "new"
    assert renames == [], "replaced by exchange, not by two renames"
