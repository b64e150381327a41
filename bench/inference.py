"""Inference timing: TF-Python on the SavedModels against tf.js in Node (cpu, wasm, the worker pool) and LiteRT.js
(wasm, for folders with a model.tflite), interleaved round by round in one run, and both web runtimes in headless
Chromium (tf.js cross-origin isolated or not; LiteRT.js on wasm and WebGPU)."""

import json
import os
import subprocess
import time

import numpy as np

from tfjs_bridge.bench.stats import interleave, ratio, spread
from tfjs_bridge.common import paths
from tfjs_bridge.common.quiet import tf

NODE_BACKENDS = ("cpu", "wasm", "pool")
# LiteRT.js for folders exported with --runtime tfjs,litert, each in a Node process of its own (LiteRT.js loads one
# wasm build per process): the build it picks in plain Node 20 (compat: no relaxed SIMD), and its relaxed-SIMD
# build where Node's flag enables that. Its threaded build does not load in Node (no blob: workers).
LITERT_BACKENDS = {"litert-wasm": (), "litert-wasm (relaxed SIMD)": ("--experimental-wasm-relaxed-simd",)}


def time_calls(fn, runs: int, warmup: int = 2) -> float:
    """Median milliseconds of fn() after warm-up."""
    times = []
    for i in range(runs + warmup):
        started = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(1000 * (time.perf_counter() - started))
    return spread(times)["median"]


class NodeSide:
    """bench/infer.js as a long-lived process: one request line in, one JSON line out."""

    def __init__(self, flags=()):
        self.proc = subprocess.Popen(["node", *flags, "bench/infer.js"], cwd=paths.CHECKOUT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def ask(self, **request) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline() or '{"error": "bench/infer.js ended"}')
        if "error" in reply:
            raise RuntimeError(f"bench/infer.js: {reply['error']}")
        return reply

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


def python_model(artifacts_dir, meta: dict):
    """The SavedModel counterpart of an exported folder as fn(batch) → ms per call, and its load time."""
    started = time.perf_counter()
    fn = tf.saved_model.load(str(artifacts_dir / str(meta["counterpart"]) / "saved_model")).signatures["serving_default"]
    load_ms = 1000 * (time.perf_counter() - started)
    (spec,), (out_spec,) = meta["inputs"], meta["outputs"]
    rng = np.random.default_rng(42)
    inputs = {}

    def run(batch: int, runs: int) -> float:
        if batch not in inputs:
            inputs[batch] = tf.constant(rng.uniform(0, 1, (batch, *spec["shape"][1:])).astype(np.float32))
        # .numpy() makes each call include the read-back, as tf.js's await y.data() does.
        return time_calls(lambda: fn(**{spec["name"]: inputs[batch]})[out_spec["name"]].numpy(), runs)

    return run, load_ms


def bench_inference(models_dir, artifacts_dir, rounds: int, smoke: bool = False) -> tuple[list[dict], dict]:
    """Rows per runtime, backend and model (batch-1 and large-batch latency), and the wasm matmul rate per thread."""
    big = 50 if smoke else 1000
    runs1, runs_big = (3, 2) if smoke else (40, 8)
    node = NodeSide()
    litert_nodes = {b: NodeSide(flags) for b, flags in LITERT_BACKENDS.items()}
    try:
        wasm = node.ask(matmul=256 if smoke else 1024)["gflops"]
        # Cores this process really gets on a shared machine: what the worker pool can use at best.
        usable = [node.ask(parallel=os.cpu_count())["speedup"]]
        rows = []
        for meta_file in sorted(models_dir.glob("*/metadata.json")):
            meta = json.loads(meta_file.read_text())
            if not meta["counterpart"] or not (artifacts_dir / meta["counterpart"] / "saved_model").is_dir():
                continue
            dir_ = str(meta_file.parent)
            py, py_load = python_model(artifacts_dir, meta)
            has_tflite = "file" in (meta.get("litert") or {})
            side_of = {**{b: (node, b) for b in NODE_BACKENDS},
                       **({b: (n, "litert-wasm") for b, n in litert_nodes.items()} if has_tflite else {})}
            backends = tuple(side_of)
            loads = {b: proc.ask(load=dir_, backend=wire) for b, (proc, wire) in side_of.items()}
            sides = {("python", 1): lambda: py(1, runs1), ("python", big): lambda: py(big, runs_big)}
            for b, (proc, wire) in side_of.items():
                sides[b, 1] = lambda p=proc, w=wire: p.ask(time=dir_, backend=w, batch=1, runs=runs1)["median"]
                if b != "cpu":  # plain-JS matmuls take ~0.3 s at batch 1000: measured once below, not per round
                    sides[b, big] = lambda p=proc, w=wire: p.ask(time=dir_, backend=w, batch=big, runs=runs_big)["median"]
            samples = interleave(sides, rounds)
            samples["cpu", big] = [node.ask(time=dir_, backend="cpu", batch=big, runs=1 if smoke else 3)["median"]]
            for backend, load_ms, threads in [("tensorflow", py_load, None),
                                               *((b, loads[b]["load_ms"], loads[b]["threads"]) for b in backends)]:
                key = "python" if backend == "tensorflow" else backend
                row = {"runtime": "python" if key == "python" else "node", "model": meta_file.parent.name,
                       **({"web_runtime": "litert", "simd": loads[key].get("simd")} if key in LITERT_BACKENDS else {}),
                       "backend": backend, "load_ms": load_ms, "threads": threads, "big_batch": big,
                       "batch1_ms": spread(samples[key, 1]), "big_batch_ms": spread(samples[key, big])}
                row["examples_per_sec"] = big * 1000 / row["big_batch_ms"]["median"]
                if key != "python":
                    row["vs_python_batch1"] = ratio(samples[key, 1], samples["python", 1])
                    if len(samples[key, big]) == rounds:
                        row["vs_python_big"] = ratio(samples[key, big], samples["python", big])
                rows.append(row)
        usable.append(node.ask(parallel=os.cpu_count())["speedup"])  # and again at the end
        return rows, {"wasm_matmul_gflops_per_thread": wasm, "node_parallel_speedup": usable}
    finally:
        for side in (node, *litert_nodes.values()):
            side.close()


def bench_browser(smoke: bool = False) -> list[dict]:
    """tf.js in headless Chromium (cpu, wasm, webgl; wasm with and without cross-origin isolation) and LiteRT.js (wasm,
    WebGPU where Chromium gives an adapter), via bench/browser.js."""
    cmd = ["node", "bench/browser.js"] + (["--smoke"] if smoke else [])
    out = subprocess.run(cmd, cwd=paths.CHECKOUT, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout)
