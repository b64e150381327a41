"""One training run end to end: data, model, tape loop, and the artifact folder the exporter reads."""

import dataclasses
import json
import platform
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from train import config
from train.atomic import atomic_directory
from train.config import TrainConfig
from train.loop import fit
from train.tasks import TASKS, Task, golden_inputs, load_data

# Small regression sets are stored whole so the web page can plot the points under the learned line.
PLOT_ROWS_LIMIT = 1000


def save_serving_model(model, input_name: str, input_shape: tuple, path: Path) -> None:
    """Write a SavedModel whose explicit serving signature maps a named float32 input to 'output'."""
    spec = tf.TensorSpec([None, *input_shape], tf.float32, name=input_name)
    serve = tf.function(lambda x: {"output": model(x, training=False)}, input_signature=[spec])
    tf.saved_model.save(model, str(path), signatures={"serving_default": serve})


def versions() -> dict:
    """Library versions recorded with every artifact."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": tf.keras.__version__}


def train_and_save(name: str, cfg: TrainConfig, csv: Path | None = None, progress: bool = True, log_epochs: bool = False) -> dict:
    """Train the named task with cfg and write artifacts/<name> (or cfg.out); return the run record."""
    task = TASKS[name]
    split = load_data(task, cfg.dataset, csv)
    tf.keras.utils.set_random_seed(cfg.seed)
    model = task.build()
    started = time.perf_counter()
    history = fit(task, model, split, cfg, progress=progress, log_epochs=log_epochs)
    out = Path(cfg.out) if cfg.out else config.ARTIFACTS / task.name
    record = run_record(task, split, cfg, history, time.perf_counter() - started, out)
    save_run(task, model, split, record, out)
    return record


def run_record(task: Task, split, cfg: TrainConfig, history: list, seconds: float, out: Path) -> dict:
    """The run.json contents: settings, data source, per-epoch history, final figures, I/O spec."""
    record = {
        "name": task.name,
        "kind": task.kind,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(cfg).items()},
        "dataset": split.source,
        "train_examples": len(split.x_train),
        "test_examples": len(split.x_test),
        "history": history,
        "final": {k: v for k, v in history[-1].items() if k != "epoch"},
        "train_seconds": round(seconds, 2),
        "input": {"name": task.input_name, "shape": [None, *split.x_train.shape[1:]], "dtype": "float32"},
        "labels": list(task.labels) if task.labels else None,
        "preprocessing": task.preprocessing,
        "versions": versions(),
        "out": str(out),
    }
    if task.kind == "regression" and len(split.x_train) <= PLOT_ROWS_LIMIT:
        record["training_data"] = {"x": split.x_train.tolist(), "y": split.y_train.tolist()}
    return record


def save_run(task: Task, model, split, record: dict, out: Path) -> None:
    """Write SavedModel, golden inputs and run.json into out, atomically."""
    gx, gy = golden_inputs(task, split)
    with atomic_directory(out) as tmp:
        save_serving_model(model, task.input_name, split.x_train.shape[1:], tmp / "saved_model")
        np.save(tmp / "golden_inputs.npy", gx)
        if gy is not None:
            np.save(tmp / "golden_labels.npy", gy)
        (tmp / "run.json").write_text(json.dumps(record, indent=2) + "\n")
