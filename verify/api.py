"""`tfjs_bridge.verify`: from a user's own tests, export a model and check tf.js against TensorFlow in Node.

    import numpy as np, tfjs_bridge

    def test_model_runs_the_same_in_tfjs():
        model = build_my_model()
        report = tfjs_bridge.verify(model, np.random.default_rng(0).uniform(size=(8, 28, 28)).astype("float32"))
        assert report.passed  # verify raises ParityError first, naming every failing check
"""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.rows import why
from tfjs_bridge.verify import prove
from tfjs_bridge.verify.node import run_harness


class ParityError(AssertionError):
    """tf.js did not reproduce TensorFlow's outputs (or could not load the model); the message lists each failed check."""

    def __init__(self, message: str, report: "Report"):
        super().__init__(message)
        self.report = report


@dataclass
class Report:
    """The Node harness's verdict: one row per model folder and backend (the table `tfjs-bridge verify` prints)."""

    rows: list[dict]
    folders: list[Path]

    @property
    def passed(self) -> bool:
        """True when there were checks and every one passed."""
        return bool(self.rows) and all(r.get("pass") for r in self.rows)

    def failures(self) -> list[str]:
        """One line per failed check: folder, backend and why."""
        return [f"{r.get('model')} on {r.get('backend')}: {why(r)}" for r in self.rows if not r.get("pass")]


def export_for_verify(model, inputs, out: Path, name: str, fmt: str, quantize, kind, runtimes=("tfjs",)) -> list[Path]:
    """Export a Keras model object or a model path into out; return the model folders written."""
    from tfjs_bridge.export.convert import ExportOptions, export_source
    from tfjs_bridge.export.sources import from_keras, from_path
    from tfjs_bridge.export.weights import parse_quantize

    golden_file = None
    if isinstance(inputs, dict):  # several inputs, by name
        golden_file = out.parent / "golden_inputs.npz"
        np.savez(golden_file, **{k: np.asarray(v) for k, v in inputs.items()})
    elif inputs is not None:
        golden_file = out.parent / "golden_inputs.npy"
        np.save(golden_file, np.asarray(inputs), allow_pickle=False)
    if isinstance(model, (str, Path)):
        source = from_path(Path(model), golden_file, kind)
    else:
        source = from_keras(model, name, golden_file, kind)
    qmap = parse_quantize([quantize] if isinstance(quantize, str) else quantize)
    options = ExportOptions(fmt, qmap, runtimes=("tfjs", *(r for r in runtimes if r != "tfjs")))
    if fmt == "auto" and prove.missing() is None:  # as `tfjs-bridge export`: the first candidate tf.js runs everywhere
        from tfjs_bridge.export.proof import export_proven

        return [out / export_proven(source, out, options, prove.prove)[0]["name"]]
    metas = export_source(source, out, options)
    return [out / m["name"] for m in metas]


RUNTIME_BACKENDS = {"tfjs": ("cpu", "wasm"), "litert": ("litert-wasm",)}


def backends_for(runtimes, backends) -> tuple[str, ...]:
    """The harness backends: those given, or every Node backend of the runtimes asked for."""
    unknown = [r for r in runtimes if r not in RUNTIME_BACKENDS]
    if unknown or not runtimes:
        raise UserError(f"unknown runtime {', '.join(map(repr, unknown)) or 'none'}: choose from tfjs, litert")
    return tuple(backends) if backends is not None else tuple(b for r in runtimes for b in RUNTIME_BACKENDS[r])


def verify(model, inputs=None, *, backends=None, runtimes=("tfjs",), format: str = "auto", quantize=None,
           kind: str | None = None, name: str = "model", keep: Path | None = None) -> Report:
    """Export model (a Keras model, or a .keras/.h5 file, SavedModel or artifact folder) and verify it in Node.

    inputs: the golden inputs, a batch for the model's one input or {input name: batch} (default: 16 seeded rows
    per fixed-shape input, in its dtype and range); format: auto (decided by proof in tf.js, as the export
    command's: the first candidate that passes on cpu and wasm), graph, layers or both; quantize: e.g. "uint8" or ["float16=*/kernel"];
    runtimes: ("tfjs",) (default) or ("tfjs", "litert"), which also writes model.tflite and checks it in LiteRT.js;
    backends: the harness's backends (default: cpu and wasm for tfjs, litert-wasm for litert);
    keep: write the model folders there instead of a temporary folder. Returns the Report; raises ParityError
    (an AssertionError, so pytest shows it as a failed assertion) when a check fails, UserError for bad input.
    """
    backends = backends_for(runtimes, backends)
    with tempfile.TemporaryDirectory(prefix="tfjs-bridge-verify-") as tmp:
        out = Path(keep) if keep is not None else Path(tmp) / "models"
        folders = export_for_verify(model, inputs, out, name, format, quantize, kind, runtimes)
        result = run_harness([*map(str, folders), "--backends", ",".join(backends), "--json", "--no-report"], capture=True)
    try:
        rows = json.loads(result.stdout)["rows"]
    except (ValueError, KeyError, TypeError):
        raise UserError(f"the Node harness failed (exit {result.returncode}): "
                        f"{(result.stderr.strip() or result.stdout.strip() or 'no output').splitlines()[-1]}") from None
    report = Report(rows, folders)
    if not report.passed:
        who = "tf.js" if tuple(runtimes) == ("tfjs",) else "tf.js or LiteRT.js"
        raise ParityError(f"{who} does not reproduce TensorFlow:\n  " + "\n  ".join(report.failures() or ["no checks ran"]), report)
    return report
