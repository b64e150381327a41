"""Checkpoints without training: Progress survives a save and restore, and open_checkpoints starts, resumes or refuses."""

import dataclasses
import json

import pytest

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config
from tfjs_bridge.train.checkpoints import Progress, TrainingError, open_checkpoints
from tfjs_bridge.train.tasks import LINEAR

CFG = config.DEFAULTS["linear"]


def test_progress_round_trips_through_a_checkpoint(tmp_path):
    saved = Progress()
    saved.step, saved.epoch, saved.batch, saved.history = 17, 3, 2, [{"epoch": 1, "loss": 0.5}]
    saved.store()
    path = tf.train.Checkpoint(**saved.trackables()).save(str(tmp_path / "ckpt"))
    restored = Progress()
    tf.train.Checkpoint(**restored.trackables()).restore(path).assert_existing_objects_matched()
    assert (restored.step, restored.epoch, restored.batch, restored.history) == (0, 0, 0, [])  # Python values wait for load()
    restored.load()
    assert (restored.step, restored.epoch, restored.batch, restored.history) == (17, 3, 2, [{"epoch": 1, "loss": 0.5}])


def test_a_fresh_run_empties_older_checkpoints_and_records_its_settings(tmp_path):
    stale = tmp_path / "checkpoints" / "ckpt-9.index"
    stale.parent.mkdir()
    stale.write_text("from an older run")
    open_checkpoints(tf.train.Checkpoint(**Progress().trackables()), tmp_path, LINEAR, CFG, writer=True)
    assert not stale.exists()
    settings = json.loads((tmp_path / "checkpoints" / "settings.json").read_text())
    assert settings == {"task": "linear", "batch_size": CFG.batch_size, "seed": CFG.seed, "dataset": CFG.dataset}


def test_a_reader_leaves_the_folder_alone(tmp_path):
    """Non-chief workers open the manager but neither delete nor write (the chief's checkpoints are the run's)."""
    kept = tmp_path / "checkpoints" / "ckpt-9.index"
    kept.parent.mkdir()
    kept.write_text("the chief's")
    open_checkpoints(tf.train.Checkpoint(**Progress().trackables()), tmp_path, LINEAR, CFG, writer=False)
    assert kept.read_text() == "the chief's" and not (tmp_path / "checkpoints" / "settings.json").exists()


def test_resume_restores_the_latest_and_refuses_changed_settings(tmp_path):
    first = Progress()
    checkpoint = tf.train.Checkpoint(**first.trackables())
    manager = open_checkpoints(checkpoint, tmp_path, LINEAR, CFG, writer=True)
    first.step = 5
    first.store()
    manager.save(checkpoint_number=5)
    resumed = Progress()
    open_checkpoints(tf.train.Checkpoint(**resumed.trackables()), tmp_path, LINEAR, dataclasses.replace(CFG, resume=True), writer=True)
    resumed.load()
    assert resumed.step == 5
    changed = dataclasses.replace(CFG, resume=True, seed=CFG.seed + 1)
    with pytest.raises(TrainingError, match=r"different settings.*'seed': \(0, 1\)"):
        open_checkpoints(tf.train.Checkpoint(**Progress().trackables()), tmp_path, LINEAR, changed, writer=True)


def test_resume_without_a_checkpoint_is_one_clear_error(tmp_path):
    with pytest.raises(TrainingError, match="nothing to resume: no checkpoint in"):
        open_checkpoints(tf.train.Checkpoint(**Progress().trackables()), tmp_path, LINEAR,
                         dataclasses.replace(CFG, resume=True), writer=True)
