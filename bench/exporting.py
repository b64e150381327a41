"""Export cost per quantization mode: converter time, bytes against float32, and the MLP's accuracy change."""

import tempfile
import time
from pathlib import Path

from tfjs_bridge.export.convert import ExportOptions, export_source
from tfjs_bridge.export.sources import from_artifact
from tfjs_bridge.export.weights import parse_quantize

MODES = [None, "float16", "uint16", "uint8"]


def bench_export(artifact: Path, modes=MODES) -> list[dict]:
    """Export the artifact once per mode into a temp folder; time it and read size and accuracy from metadata."""
    source = from_artifact(artifact)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            started = time.perf_counter()
            [meta] = export_source(source, Path(tmp), ExportOptions(qmap=parse_quantize([mode] if mode else None),
                                                                   folder=f"{source.name}-{mode or 'float32'}"))
            seconds = time.perf_counter() - started
            row = {"model": source.name, "quantization": mode or "float32", "seconds": seconds,
                   "bytes": meta["bytes"]["on_disk"], "bytes_fraction": meta["bytes"]["on_disk"] / meta["bytes"]["float32"]}
            accuracy = meta.get("accuracy")
            if accuracy:
                row.update(accuracy=accuracy["exported"], accuracy_change_pt=100 * accuracy["change"])
            else:
                row["accuracy"] = source.run.get("final", {}).get("test_accuracy")
                row["accuracy_change_pt"] = 0.0 if mode is None else None
            rows.append(row)
    return rows


def bench_export_commands(artifacts: Path, rounds: int) -> dict:
    """Wall seconds of `python -m export` for one model and for two in one call, beside TensorFlow's import alone.

    Interleaved round by round; "after start-up" = one model's command minus the import-only process.
    """
    import subprocess
    import sys

    from tfjs_bridge.bench.stats import interleave, spread
    from tfjs_bridge.common import paths

    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "import TensorFlow only": ["-c", "from tfjs_bridge.common.quiet import tf"],
            "export linear": ["-m", "export", "linear", "--artifacts", str(artifacts), "--out", tmp],
            "export linear mlp (one call)": ["-m", "export", "linear", "mlp", "--artifacts", str(artifacts), "--out", tmp],
        }

        def timed(args):
            def once() -> float:
                started = time.perf_counter()
                subprocess.run([sys.executable, *args], cwd=paths.CHECKOUT, check=True, capture_output=True, timeout=300)
                return time.perf_counter() - started
            return once

        samples = interleave({name: timed(args) for name, args in commands.items()}, rounds)
    seconds = {name: spread(values) for name, values in samples.items()}
    median = {name: s["median"] for name, s in seconds.items()}
    return {"seconds": seconds, "rounds": rounds,
            "after_startup_s": median["export linear"] - median["import TensorFlow only"],
            "second_model_s": median["export linear mlp (one call)"] - median["export linear"]}
