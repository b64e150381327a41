"""Convert a training artifact to a tf.js graph model folder with metadata, goldens and checksums."""

import datetime
import hashlib
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from train import config
from train.atomic import atomic_directory
from train.quiet import filtered_native_output, quiet_import

METADATA = "metadata.json"
SCHEMA_VERSION = 1


class ExportError(ValueError):
    """An artifact that cannot be exported; the message is shown to the user as one line."""


def read_run(artifact: Path) -> dict:
    """The run.json written by `python -m train`, or an ExportError saying what is missing."""
    run_file = artifact / "run.json"
    if not (artifact / "saved_model" / "saved_model.pb").is_file() or not run_file.is_file():
        hint = f"python -m train {artifact.name}" if artifact.name in ("linear", "mlp") else "python -m train linear|mlp"
        raise ExportError(f"no trained model at {artifact} (needs saved_model/ and run.json): run `{hint}` first")
    try:
        return json.loads(run_file.read_text())
    except ValueError as err:
        raise ExportError(f"{run_file}: invalid JSON ({err})") from None


def serving_signature(saved_model_dir: Path):
    """The SavedModel's serving function with its single input's spec and its output key."""
    loaded = tf.saved_model.load(str(saved_model_dir))
    fn = loaded.signatures.get("serving_default")
    if fn is None:
        raise ExportError(f"{saved_model_dir}: no 'serving_default' signature")
    inputs = fn.structured_input_signature[1]
    if len(inputs) != 1 or len(fn.structured_outputs) != 1:
        raise ExportError(f"{saved_model_dir}: expected one input and one output, got {list(inputs)} -> {list(fn.structured_outputs)}")
    (name, spec), (output_key, out_spec) = next(iter(inputs.items())), next(iter(fn.structured_outputs.items()))
    io = {
        "input": {"name": name, "shape": spec.shape.as_list(), "dtype": spec.dtype.name},
        "output": {"name": output_key, "shape": out_spec.shape.as_list(), "dtype": out_spec.dtype.name},
    }
    return loaded, fn, io


def python_outputs(fn, io: dict, inputs: np.ndarray) -> np.ndarray:
    """Outputs of the SavedModel's own serving function: the reference every harness compares to."""
    result = fn(**{io["input"]["name"]: tf.constant(inputs, dtype=io["input"]["dtype"])})
    return result[io["output"]["name"]].numpy()


def convert_graph(saved_model_dir: Path, out_dir: Path) -> None:
    """Run the tensorflowjs converter: SavedModel → tfjs graph model (model.json + shards)."""
    converter = quiet_import("tensorflowjs.converters.tf_saved_model_conversion_v2")
    with filtered_native_output():  # grappler logs each session start through absl, past TF_CPP_MIN_LOG_LEVEL
        converter.convert_tf_saved_model(
            str(saved_model_dir), str(out_dir), signature_def="serving_default", saved_model_tags="serve"
        )


def weight_files(model_dir: Path) -> list[dict]:
    """Every shard named in model.json's manifest, in manifest order, with byte length and sha256."""
    manifest = json.loads((model_dir / "model.json").read_text())["weightsManifest"]
    files = []
    for group in manifest:
        for rel in group["paths"]:
            blob = (model_dir / rel).read_bytes()
            files.append({"path": rel, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()})
    return files


def flat(values: np.ndarray) -> list[float]:
    """float32 values as exact JSON numbers (float64 holds every float32 exactly)."""
    return np.asarray(values, dtype=np.float64).ravel().tolist()


def build_metadata(run: dict, io: dict, golden_in, golden_out, golden_labels, files: list[dict]) -> dict:
    """Everything a harness needs to use and check the model without Python."""
    golden = {
        "count": len(golden_in),
        "input_shape": list(golden_in.shape),
        "output_shape": list(golden_out.shape),
        "inputs": flat(golden_in),
        "outputs": flat(golden_out),
    }
    if golden_labels is not None:
        golden["labels"] = golden_labels.astype(int).tolist()
        golden["python_accuracy"] = float(np.mean(golden_out.argmax(axis=-1) == golden_labels))
    return {
        "schema": SCHEMA_VERSION,
        "name": run["name"],
        "format": "graph",
        "kind": run["kind"],
        "weights_dtype": "float32",
        "quantization": None,
        "input": io["input"],
        "output": io["output"],
        "labels": run.get("labels"),
        "preprocessing": run.get("preprocessing"),
        "training": {k: run.get(k) for k in ("config", "dataset", "final", "history", "train_seconds", "training_data") if k in run},
        "versions": {**run.get("versions", {}), "tensorflowjs": quiet_import("tensorflowjs").__version__},
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": files,
        "golden": golden,
    }


def export_artifact(artifact: Path, out_root: Path = config.WEB_MODELS) -> dict:
    """Export one artifact folder to out_root/<name>/ atomically; return its metadata."""
    artifact = Path(artifact)
    run = read_run(artifact)
    saved_model = artifact / "saved_model"
    _, fn, io = serving_signature(saved_model)
    golden_in = np.load(artifact / "golden_inputs.npy").astype(np.float32)
    labels_file = artifact / "golden_labels.npy"
    golden_labels = np.load(labels_file) if labels_file.is_file() else None
    golden_out = python_outputs(fn, io, golden_in)
    with atomic_directory(Path(out_root) / run["name"]) as tmp:
        convert_graph(saved_model, tmp)
        meta = build_metadata(run, io, golden_in, golden_out, golden_labels, weight_files(tmp))
        (tmp / METADATA).write_text(json.dumps(meta) + "\n")
    return meta
