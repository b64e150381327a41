"""Checkpoints of a training run: where it stands (Progress) and the manager that saves, resumes or starts afresh."""

import json
import os
import re
import shutil
from pathlib import Path

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config
from tfjs_bridge.train.config import TrainConfig
from tfjs_bridge.train.tasks import Task


class TrainingError(UserError):
    """Training could not produce a usable model; the message is shown to the user as one line."""


class Progress:
    """Where training stands, checkpointed with the model: steps done, epochs done, batches into the current epoch.

    Python values while training (each read or write of a variable is an eager op, which adds up to more than
    a small model's epoch), copied into the checkpointed variables when a checkpoint is written or restored.
    """

    def __init__(self):
        self.step = self.epoch = self.batch = 0
        self.history: list[dict] = []
        self._variables = {
            "step": tf.Variable(0, dtype=tf.int64, trainable=False, name="step"),
            "epoch": tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch"),
            "batch_in_epoch": tf.Variable(0, dtype=tf.int64, trainable=False, name="batch_in_epoch"),
            "history": tf.Variable("[]", dtype=tf.string, trainable=False, name="history"),
        }

    def trackables(self) -> dict:
        """The variables for tf.train.Checkpoint."""
        return dict(self._variables)

    def load(self) -> None:
        """Take the values of the variables (after a checkpoint was restored into them)."""
        v = self._variables
        self.step, self.epoch, self.batch = (int(v[k].numpy()) for k in ("step", "epoch", "batch_in_epoch"))
        self.history = json.loads(v["history"].numpy().decode())

    def store(self) -> None:
        """Copy the values into the variables, before a checkpoint is written."""
        v = self._variables
        v["step"].assign(self.step)
        v["epoch"].assign(self.epoch)
        v["batch_in_epoch"].assign(self.batch)
        v["history"].assign(json.dumps(self.history))


def resume_settings(task: Task, cfg: TrainConfig) -> dict:
    """What must not change between a run and its resumption (the data order depends on all of it)."""
    return {"task": task.name, "batch_size": cfg.batch_size, "seed": cfg.seed, "dataset": cfg.dataset}


# What a run writes in <run dir>/checkpoints: its settings, tf.train.CheckpointManager's index and shards, and the
# temporary folders TensorFlow writes a checkpoint into before renaming it (left behind by a killed run).
CHECKPOINT_FILES = re.compile(r"settings\.json|checkpoint|ckpt-\d+\.(index|data-\d{5}-of-\d{5})")
CHECKPOINT_TEMPS = re.compile(r"ckpt-\d+_temp[\w.-]*")


def clear_checkpoints(ckpt_dir: Path) -> None:
    """Remove an earlier run's checkpoints folder, refusing (TrainingError) one holding anything a run did not write."""
    if ckpt_dir.is_symlink() or not ckpt_dir.is_dir():
        raise TrainingError(f"{ckpt_dir} is not a checkpoints folder tfjs-bridge wrote: refusing to empty it "
                            "(choose another --run-dir)")
    strangers = sorted(p.name for p in ckpt_dir.iterdir() if p.is_symlink() or not (
        (p.is_file() and CHECKPOINT_FILES.fullmatch(p.name)) or (p.is_dir() and CHECKPOINT_TEMPS.fullmatch(p.name))))
    if strangers:
        raise TrainingError(f"{ckpt_dir} holds {', '.join(strangers[:3])}, which tfjs-bridge did not write: refusing "
                            "to empty it (choose another --run-dir, or move them away yourself)")
    shutil.rmtree(ckpt_dir)


def open_checkpoints(checkpoint, run_dir: Path, task: Task, cfg: TrainConfig, writer: bool) -> tf.train.CheckpointManager:
    """A CheckpointManager in run_dir/checkpoints: restored from the latest on --resume, emptied otherwise."""
    ckpt_dir = Path(run_dir) / "checkpoints"
    settings_file = ckpt_dir / "settings.json"
    settings = resume_settings(task, cfg)
    if cfg.resume:
        latest = tf.train.latest_checkpoint(str(ckpt_dir))
        if latest is None:
            raise TrainingError(f"nothing to resume: no checkpoint in {ckpt_dir}")
        saved = json.loads(settings_file.read_text()) if settings_file.is_file() else {}
        changed = {k: (saved.get(k), v) for k, v in settings.items() if saved.get(k) != v}
        if changed:
            raise TrainingError(f"cannot resume {ckpt_dir} with different settings (was, now): {changed}")
        checkpoint.restore(latest).assert_existing_objects_matched()
    elif writer and os.path.lexists(ckpt_dir):
        clear_checkpoints(ckpt_dir)  # a fresh run must not resume, or be mixed up with, an older one
    if writer:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(json.dumps(settings) + "\n")
    return tf.train.CheckpointManager(checkpoint, str(ckpt_dir), max_to_keep=config.CHECKPOINTS_KEPT)
