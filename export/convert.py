"""Convert a model source to tf.js graph and/or layers model folders with metadata, goldens and checksums."""

import contextlib
import datetime
import hashlib
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from export.keras_bridge import keras_flavour, to_tf_keras
from export.sources import ExportError, Source, from_artifact  # noqa: F401  (ExportError is part of this API)
from export.weights import load_read_back, quantization_label, weight_bytes
from train import config
from train.atomic import atomic_directory
from train.quiet import filtered_native_output, quiet_import

METADATA = "metadata.json"
SCHEMA_VERSION = 2
FORMATS = ("graph", "layers")
SHARD_SIZE = 4 * 1024 * 1024  # the converter's default weight_shard_size_bytes


@contextlib.contextmanager
def quiet_converter():
    """Filter grappler/absl start-up lines and tf_keras's HDF5 and compile warnings around a conversion."""
    logger = tf.get_logger()
    level = logger.level
    with filtered_native_output(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf_keras calls .h5 "legacy"; the converter needs exactly that file
        logger.setLevel("ERROR")  # "Compiled the loaded model, but the compiled metrics have yet to be built"
        try:
            yield
        finally:
            logger.setLevel(level)


def convert_graph(saved_model_dir: Path, out_dir: Path, qmap: dict | None = None, shard_size: int = SHARD_SIZE) -> None:
    """Run the tensorflowjs converter: SavedModel → tfjs graph model (model.json + shards)."""
    converter = quiet_import("tensorflowjs.converters.tf_saved_model_conversion_v2")
    with quiet_converter():
        converter.convert_tf_saved_model(
            str(saved_model_dir), str(out_dir), signature_def="serving_default", saved_model_tags="serve",
            quantization_dtype_map=qmap, weight_shard_size_bytes=shard_size,
        )


def convert_layers(model, out_dir: Path, qmap: dict | None = None, shard_size: int = SHARD_SIZE) -> None:
    """Save a tf_keras model as a tfjs layers model (the converter's Keras 2 topology, which tfjs-layers reads)."""
    converter = quiet_import("tensorflowjs.converters.keras_h5_conversion")
    with quiet_converter():
        converter.save_keras_model(model, str(out_dir), quantization_dtype_map=qmap, weight_shard_size_bytes=shard_size)


def save_keras_as_saved_model(model, io: dict, path: Path) -> None:
    """A SavedModel with a serving signature for a Keras model, so the graph converter can read it."""
    from train.run import save_serving_model

    with quiet_converter():
        save_serving_model(model, io["input"]["name"], tuple(io["input"]["shape"][1:]), path)


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


def golden_record(golden_in, golden_out, golden_labels) -> dict:
    """Golden inputs with the reference outputs (and labels, with Python's accuracy on them)."""
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
    return golden


def python_counterpart(source: Source) -> str | None:
    """Where the source's SavedModel is, if it has one; .keras/.h5 sources have none on disk."""
    if source.saved_model is None:
        return None
    path = Path(source.saved_model).resolve()
    return str(path.relative_to(config.ROOT)) if path.is_relative_to(config.ROOT) else str(path)


def build_metadata(source: Source, folder: str, fmt: str, flavour: str | None, qmap: dict | None,
                   golden: dict, model_dir: Path) -> dict:
    """Everything a harness needs to use and check the model without Python."""
    run = source.run
    return {
        "schema": SCHEMA_VERSION,
        "name": folder,
        "source": run.get("source", f"artifact {run.get('out', source.name)}"),
        # The Python counterpart the web app runs for POST /api/predict (relative to the project when inside it).
        "saved_model": python_counterpart(source),
        "format": fmt,
        "keras": flavour,
        "kind": source.kind,
        "weights_dtype": quantization_label(qmap) or "float32",
        "quantization": quantization_label(qmap),
        "quantize_map": {k: (v if v is not True else "*") for k, v in (qmap or {}).items()} or None,
        "bytes": weight_bytes(model_dir),
        "input": source.io["input"],
        "output": source.io["output"],
        "labels": run.get("labels"),
        "preprocessing": run.get("preprocessing"),
        "training": {k: run.get(k) for k in ("config", "dataset", "final", "history", "train_seconds", "training_data") if k in run},
        "versions": {**run.get("versions", {}), "tensorflowjs": quiet_import("tensorflowjs").__version__},
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": weight_files(model_dir),
        "golden": golden,
    }


def quantized_accuracy(source: Source, model_dir: Path, flavour: str) -> dict:
    """Test accuracy with float32 weights and with the exported weights read back and dequantized in Python."""
    original = source.layers_model(flavour)
    # A fresh copy: the read-back weights must not leak into the model later exports convert.
    model = quiet_import("keras" if keras_flavour(original) == "keras3" else "tf_keras").models.clone_model(original)
    model.set_weights(original.get_weights())
    before = source.evaluate(model)
    load_read_back(model, model_dir)
    after = source.evaluate(model)
    return {"float32": before, "exported": after, "change": after - before,
            "method": "exported shards dequantized with tensorflowjs.read_weights into the functional twin, scored in Python"}


def write_format(source: Source, out_dir: Path, fmt: str, flavour: str, qmap, shard_size: int) -> str | None:
    """Convert source into out_dir in one format; return the Keras flavour used (None for SavedModels)."""
    if fmt == "layers":
        model = source.layers_model(flavour)
        convert_layers(to_tf_keras(model, source.golden_in), out_dir, qmap, shard_size)
        return keras_flavour(model)
    if source.saved_model is not None:
        convert_graph(source.saved_model, out_dir, qmap, shard_size)
        return None
    model = source.keras_model if source.keras_model is not None else source.layers_model(flavour)
    with tempfile.TemporaryDirectory() as tmp:
        save_keras_as_saved_model(model, source.io, Path(tmp) / "saved_model")
        convert_graph(Path(tmp) / "saved_model", out_dir, qmap, shard_size)
    return keras_flavour(model)


def folder_name(source: Source, fmt: str) -> str:
    """<name> for the format the model's type calls for, <name>-<format> for the other one."""
    return source.name if fmt == source.natural_format() else f"{source.name}-{fmt}"


def export_source(source: Source, out_root: Path = config.WEB_MODELS, fmt: str = "auto", qmap: dict | None = None,
                  shard_size: int = SHARD_SIZE, flavour: str = "keras3", folder: str | None = None) -> list[dict]:
    """Export source into out_root/<folder>/ per format, each folder swapped in atomically; return the metadata."""
    formats = [source.natural_format()] if fmt == "auto" else list(FORMATS) if fmt == "both" else [fmt]
    if folder and len(formats) > 1:
        raise ExportError("--name needs a single --format")
    golden = golden_record(source.golden_in, source.reference(source.golden_in), source.golden_labels)
    metas = []
    for f in formats:
        name = folder or folder_name(source, f)
        with atomic_directory(Path(out_root) / name) as tmp:
            used = write_format(source, tmp, f, flavour, qmap, shard_size)
            meta = build_metadata(source, name, f, used, qmap, golden, tmp)
            if qmap and source.evaluate is not None:
                meta["accuracy"] = quantized_accuracy(source, tmp, flavour)
            (tmp / METADATA).write_text(json.dumps(meta) + "\n")
        metas.append(meta)
    return metas


def export_artifact(artifact: Path, out_root: Path = config.WEB_MODELS, **options) -> dict:
    """Export one training artifact folder to out_root/<name>/ (graph format unless told); return its metadata."""
    return export_source(from_artifact(Path(artifact)), out_root, **options)[0]
