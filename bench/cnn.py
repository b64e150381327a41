"""The benchmark's CNN: the model suite's ResNet (a saved .keras file), exported for tf.js and LiteRT.js, and its
TF-Python side. `make bench` builds the file with tests/suite/models.py's builder into build/bench/; the export
is kept beside it and redone only when the model (its config and weights, not the file's bytes) changes."""

import contextlib
import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np

from tfjs_bridge.common import paths
from tfjs_bridge.common.quiet import quiet_import, tf

SOURCE = Path("build") / "bench" / "resnet.keras"  # relative to the checkout; --cnn names another
BIG = 256  # its large batch: one call is ~0.5 s on two cores, so 1000 rows would make each round minutes long
EXPORTS = Path("build") / "bench" / "models"  # the export cache, git-ignored
STAMP = ".bench-source"  # the fingerprint of the model the folder was exported from


def load(source: Path):
    """The saved Keras model, and the milliseconds loading it took."""
    started = time.perf_counter()
    model = quiet_import("keras").saving.load_model(source)
    return model, 1000 * (time.perf_counter() - started)


def fingerprint(model) -> str:
    """sha256 of the model's config and weights: a rebuilt .keras file with the same model keeps its export."""
    digest = hashlib.sha256(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for weight in model.weights:
        digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return digest.hexdigest()


def exported(source: Path, model, root: Path) -> Path:
    """The model's folder (graph format, model.tflite at batch 1 and BIG) under root, exported unless current."""
    from tfjs_bridge.export.cli import main  # graph format: no proof in tf.js, so none of the dispatcher's hooks

    folder, stamp = root / model.name, fingerprint(model)
    if (folder / STAMP).is_file() and (folder / STAMP).read_text() == stamp and (folder / "model.tflite").is_file():
        return folder
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(source), "--format", "graph", "--runtime", "tfjs,litert", "--litert-batch", f"1,{BIG}",
                     "--out", str(root), "--name", model.name])
    if code != 0 or not (folder / "model.tflite").is_file():
        raise RuntimeError(f"exporting the benchmark's CNN {source} failed (exit {code}): {err.getvalue()[-1000:]}")
    (folder / STAMP).write_text(stamp)
    return folder


def forward_flops(model) -> int:
    """Floating-point operations of one example's forward pass, as TensorFlow's profiler counts the graph."""
    from tensorflow.python.profiler import model_analyzer, option_builder
    from tensorflow.python.util import deprecation

    spec = tf.TensorSpec([1, *model.inputs[0].shape[1:]], tf.float32)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    options = option_builder.ProfileOptionBuilder(option_builder.ProfileOptionBuilder.float_operation()).with_empty_output().build()
    with deprecation.silence():  # the profiler calls a TF1 shape helper that warns on every use
        return model_analyzer.profile(graph, options=options).total_float_ops


def python_side(model):
    """The model as TF-Python serves it (one traced graph per batch size) as fn(batch, runs) → median ms."""
    from tfjs_bridge.bench.inference import time_calls

    fn = tf.function(lambda x: model(x, training=False))
    rng = np.random.default_rng(42)
    inputs = {}

    def run(batch: int, runs: int) -> float:
        if batch not in inputs:
            inputs[batch] = tf.constant(rng.uniform(0, 1, (batch, *model.inputs[0].shape[1:])).astype(np.float32))
        return time_calls(lambda: fn(inputs[batch]).numpy(), runs)  # .numpy(): the read-back, as on the web side

    return run


def prepare(source: Path) -> dict:
    """Everything the inference phase needs of the CNN: its folder, Python side, load time and FLOPs per example."""
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"no benchmark CNN at {source}: `make bench` builds it (the model suite's ResNet)")
    model, load_ms = load(source)
    root = paths.CHECKOUT / EXPORTS
    return {"folder": exported(source, model, root), "python": python_side(model), "python_load_ms": load_ms,
            "forward_flops": forward_flops(model), "big": BIG}
