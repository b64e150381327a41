"""A fresh training run empties its run folder's checkpoints/ only when everything in it is a run's own (issue 20,
item 1: nothing the tool did not write is deleted)."""

import pytest

from tfjs_bridge.train.checkpoints import TrainingError, clear_checkpoints


def test_a_runs_own_checkpoints_are_cleared(tmp_path):
    ckpt = tmp_path / "checkpoints"
    (ckpt / "ckpt-3_temp_0a1b").mkdir(parents=True)
    for name in ("settings.json", "checkpoint", "ckpt-3.index", "ckpt-3.data-00000-of-00001"):
        (ckpt / name).write_text("")
    clear_checkpoints(ckpt)
    assert not ckpt.exists()


def test_a_users_files_in_checkpoints_are_kept_and_refused(tmp_path):
    ckpt = tmp_path / "checkpoints"
    ckpt.mkdir()
    (ckpt / "checkpoint").write_text("")
    (ckpt / "my-best-model.h5").write_text("irreplaceable")
    with pytest.raises(TrainingError, match="my-best-model.h5, which tfjs-bridge did not write"):
        clear_checkpoints(ckpt)
    assert (ckpt / "my-best-model.h5").read_text() == "irreplaceable"
    link = tmp_path / "linked"
    link.symlink_to(ckpt)
    with pytest.raises(TrainingError, match="not a checkpoints folder"):
        clear_checkpoints(link)
    assert link.is_symlink() and (ckpt / "my-best-model.h5").exists()
