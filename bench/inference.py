"""Inference timing: TF-Python on the SavedModels, tf.js in Node and in headless Chromium, same models."""

import json
import subprocess
import time

import numpy as np

from tfjs_bridge.bench.stats import spread
from tfjs_bridge.common import paths
from tfjs_bridge.common.quiet import tf


def time_calls(fn, runs: int, warmup: int = 3) -> dict:
    """min/median/max milliseconds of fn() after warm-up."""
    times = []
    for i in range(runs + warmup):
        started = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(1000 * (time.perf_counter() - started))
    return spread(times)


def bench_python(models_dir, artifacts_dir, smoke: bool = False) -> list[dict]:
    """Load time, batch-1 latency and large-batch throughput of each exported model's SavedModel."""
    big = 50 if smoke else 1000
    rows = []
    for meta_file in sorted(models_dir.glob("*/metadata.json")):
        meta = json.loads(meta_file.read_text())
        saved_model = artifacts_dir / str(meta["counterpart"]) / "saved_model"
        if not meta["counterpart"] or not saved_model.is_dir():
            continue
        started = time.perf_counter()
        fn = tf.saved_model.load(str(saved_model)).signatures["serving_default"]
        load_ms = 1000 * (time.perf_counter() - started)
        (spec,), (out_spec,) = meta["inputs"], meta["outputs"]
        name, out = spec["name"], out_spec["name"]
        rng = np.random.default_rng(42)
        x1 = tf.constant(rng.uniform(0, 1, (1, *spec["shape"][1:])).astype(np.float32))
        xb = tf.constant(rng.uniform(0, 1, (big, *spec["shape"][1:])).astype(np.float32))
        # .numpy() makes each call include the read-back, as tf.js's await y.data() does.
        batch1 = time_calls(lambda: fn(**{name: x1})[out].numpy(), 3 if smoke else 200)
        batch_big = time_calls(lambda: fn(**{name: xb})[out].numpy(), 2 if smoke else 30)
        rows.append({"runtime": "python", "model": meta["name"], "backend": "tensorflow", "load_ms": load_ms,
                     "batch1_ms": batch1, "big_batch": big, "big_batch_ms": batch_big,
                     "examples_per_sec": big * 1000 / batch_big["median"]})
    return rows


def bench_node(models_dir, smoke: bool = False) -> list[dict]:
    """tf.js in Node (cpu and wasm backends), via bench/infer.js."""
    cmd = ["node", "bench/infer.js", "--models", str(models_dir)] + (["--smoke"] if smoke else [])
    out = subprocess.run(cmd, cwd=paths.CHECKOUT, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout)


def bench_browser(smoke: bool = False) -> list[dict]:
    """tf.js in headless Chromium (cpu, wasm, webgl), via bench/browser.js against the production server."""
    cmd = ["node", "bench/browser.js"] + (["--smoke"] if smoke else [])
    out = subprocess.run(cmd, cwd=paths.CHECKOUT, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout)
