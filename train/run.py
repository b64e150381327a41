"""One training run end to end: data, strategy, model, tape loop, and the artifact folder the exporter reads."""

import dataclasses
import hashlib
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from tfjs_bridge.common.atomic import output_directory
from tfjs_bridge.common.paths import ARTIFACTS
from tfjs_bridge.common.quiet import tf
from tfjs_bridge.common.savedmodel import save_serving_model
from tfjs_bridge.train import config, devices
from tfjs_bridge.train.config import TrainConfig
from tfjs_bridge.train.loop import FitOptions, fit, throughput
from tfjs_bridge.train.tasks import TASKS, Task, golden_inputs, load_data

# Small regression sets are stored whole so the web page can plot the points under the learned line.
PLOT_ROWS_LIMIT = 1000


def versions() -> dict:
    """Library versions recorded with every artifact."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": tf.keras.__version__}


def weights_digest(model) -> str:
    """sha256 of every weight's float bytes, in order: equal digests mean identical models (e.g. across workers)."""
    h = hashlib.sha256()
    for weight in model.weights:
        h.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return h.hexdigest()


def train_and_save(name: str, cfg: TrainConfig, csv: Path | None = None, progress: bool = True, log_epochs: bool = False) -> dict:
    """Train the named task with cfg under cfg.strategy and write artifacts/<name> (or cfg.out); return the run record."""
    task = TASKS[name]
    split = load_data(task, cfg.dataset, csv)
    strategy = devices.make_strategy(cfg.strategy)  # first: multi-worker set-up must precede other TF work
    tf.keras.utils.set_random_seed(cfg.seed)
    with strategy.scope():
        model = task.build()
    out = Path(cfg.out) if cfg.out else ARTIFACTS / task.name
    chief = devices.is_chief(strategy)
    started = time.perf_counter()
    options = FitOptions(progress=progress, log_epochs=log_epochs, strategy=strategy, run_dir=config.run_dir_for(cfg, out),
                         chief=chief)
    history = fit(task, model, split, cfg, options)
    record = run_record(task, cfg, history, time.perf_counter() - started, out, data_summary(task, split), strategy)
    gx, gy = golden_inputs(task, split)
    test_set = (split.x_test, split.y_test) if task.kind == "classification" else None
    save_run(model, record, gx, gy, out, chief, test_set)
    return record


def data_summary(task: Task, split) -> dict:
    """The run.json fields that describe a numpy split: source, sizes, input shape (and small regression data)."""
    summary = {
        "dataset": split.source,
        "train_examples": len(split.x_train),
        "test_examples": len(split.x_test),
        "input_shape": list(split.x_train.shape[1:]),
    }
    if task.kind == "regression" and len(split.x_train) <= PLOT_ROWS_LIMIT:
        summary["training_data"] = {"x": split.x_train.tolist(), "y": split.y_train.tolist()}
    return summary


def run_record(task: Task, cfg: TrainConfig, history: list, seconds: float, out: Path, data: dict,
               strategy: tf.distribute.Strategy) -> dict:
    """The run.json contents: settings, data source, per-epoch history, final figures, I/O spec, replicas."""
    record = {
        "name": task.name,
        "kind": task.kind,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(cfg).items()},
        "dataset": data["dataset"],
        "train_examples": data["train_examples"],
        "test_examples": data["test_examples"],
        "history": history,
        "final": {k: v for k, v in history[-1].items() if k != "epoch"},
        "train_seconds": round(seconds, 2),
        "examples_per_sec": round(throughput(history), 1),
        "distribution": {
            "strategy": cfg.strategy,
            "replicas": strategy.num_replicas_in_sync,
            "worker": devices.worker_name(strategy),
        },
        "input": {"name": task.input_name, "shape": [None, *data["input_shape"]], "dtype": "float32"},
        "labels": list(task.labels) if task.labels else None,
        "preprocessing": task.preprocessing,
        "versions": versions(),
        "out": str(out),
    }
    if "training_data" in data:
        record["training_data"] = data["training_data"]
    return record


def save_run(model, record: dict, golden_x: np.ndarray, golden_y: np.ndarray | None, out: Path, chief: bool = True,
             test_set: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Write SavedModel, golden inputs and run.json into out, atomically; other workers write a throw-away copy.

    Every worker of a multi-worker run must save (saving can involve collective ops); only the chief keeps it.
    """
    record["weights_sha256"] = weights_digest(model)
    target = Path(out) if chief else Path(tempfile.mkdtemp(prefix="tfjs-bridge-worker-")) / "discard"
    try:
        with output_directory(target) as tmp:
            save_serving_model(model, record["input"]["name"], record["input"]["shape"][1:], tmp / "saved_model")
            np.save(tmp / "golden_inputs.npy", golden_x)
            if golden_y is not None:
                np.save(tmp / "golden_labels.npy", golden_y)
            if test_set is not None:  # the exporter scores quantized weights on it, without the training code
                np.savez_compressed(tmp / "test_set.npz", x=test_set[0], y=test_set[1])
            (tmp / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    finally:
        if not chief:
            shutil.rmtree(target.parent, ignore_errors=True)
            record["out"] = None
