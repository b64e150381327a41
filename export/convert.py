"""Convert a model source to tf.js graph and/or layers model folders with metadata, goldens and checksums."""

import contextlib
import datetime
import hashlib
import json
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfjs_bridge.common import contract, schema
from tfjs_bridge.common.atomic import output_directory
from tfjs_bridge.common.paths import MODELS
from tfjs_bridge.common.quiet import filtered_native_output, quiet_import, tf
from tfjs_bridge.export import compat
from tfjs_bridge.export.errors import ExportError, UnsupportedModelError
from tfjs_bridge.export.goldens import golden_count
from tfjs_bridge.export.keras_bridge import keras_flavour, to_tf_keras
from tfjs_bridge.export.ops import kernel_gaps, unsupported_ops_message
from tfjs_bridge.export.sources import Source, from_artifact
from tfjs_bridge.export.tensors import keras_args, keras_call
from tfjs_bridge.export.tflite import LiteRtRefusal, write_tflite
from tfjs_bridge.export.weights import check_quantized, load_read_back, quantization_label, weight_bytes

FORMATS = ("graph", "layers")
RUNTIMES = ("tfjs", "litert")
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


# Ops of TensorFlow's v2 control flow. Lowered to v1 (Switch/Merge/Enter/Exit, the converter's default), a
# Keras 3 RNN's TensorList loop cannot run in tf.js; kept as While/If (control_flow_v2) it can. verify/explain.py
# freezes its graph with the same choice, from this set, so that node names match model.json's.
CONTROL_FLOW_OPS = frozenset({"While", "StatelessWhile", "If", "StatelessIf"})
def graph_ops(graph_def) -> set:
    """Every op a GraphDef uses, its function library included."""
    ops = {node.op for node in graph_def.node}
    return ops | {node.op for fn in graph_def.library.function for node in fn.node_def}


def needs_control_flow_v2(saved_model_dir: Path, signature: str, tags) -> bool:
    """True when the signature's graph has v2 control flow (tf.cond, tf.while_loop, Keras 3 RNN loops)."""
    loaded = tf.saved_model.load(str(saved_model_dir), tags=list(tags))
    return bool(graph_ops(loaded.signatures[signature].graph.as_graph_def()) & CONTROL_FLOW_OPS)


def unsupported_ops_error(err: ValueError) -> ExportError:
    """The converter's 'Unsupported Ops' refusal (a title line, then the ops joined by ', ') as one line, with fixes."""
    named = {op.strip() for line in str(err).splitlines()[1:] for op in line.split(",")}
    return ExportError(unsupported_ops_message(sorted(op for op in named if op)))


def convert_graph(saved_model_dir: Path, out_dir: Path, qmap: dict | None = None, shard_size: int = SHARD_SIZE,
                  signature: str = "serving_default", tags=("serve",), rules: tuple = compat.NAMES) -> dict:
    """Run the tensorflowjs converter: SavedModel → tfjs graph model (model.json + shards); return the compatibility
    rules applied ({name: count}, export/compat/).

    The control-flow v2 option is chosen from the graph: on when it has While/If ops, off (the converter's
    default, which tf.js runs synchronously where it can) otherwise.
    """
    converter = quiet_import("tensorflowjs.converters.tf_saved_model_conversion_v2")
    applied = {}
    with quiet_converter(), compat.installed(rules, applied):
        v2 = needs_control_flow_v2(saved_model_dir, signature, tags)
        try:
            converter.convert_tf_saved_model(
                str(saved_model_dir), str(out_dir), signature_def=signature, saved_model_tags=",".join(tags),
                quantization_dtype_map=qmap, weight_shard_size_bytes=shard_size, control_flow_v2=v2,
            )
        except ValueError as err:
            if str(err).startswith("Unsupported Ops"):
                raise unsupported_ops_error(err) from None
            raise
    return applied


def convert_layers(model, out_dir: Path, qmap: dict | None = None, shard_size: int = SHARD_SIZE) -> None:
    """Save a tf_keras model as a tfjs layers model (the converter's Keras 2 topology, which tfjs-layers reads)."""
    converter = quiet_import("tensorflowjs.converters.keras_h5_conversion")
    with quiet_converter():
        converter.save_keras_model(model, str(out_dir), quantization_dtype_map=qmap, weight_shard_size_bytes=shard_size)


def save_keras_as_saved_model(model, io: dict, path: Path) -> None:
    """A SavedModel whose serving signature takes the Keras model's named inputs and returns its named outputs."""
    specs = [tf.TensorSpec(s["shape"], s["dtype"], name=s["name"]) for s in io["inputs"]]
    names = [s["name"] for s in io["outputs"]]

    def serve(*xs):
        return dict(zip(names, keras_call(model, io, {s["name"]: x for s, x in zip(io["inputs"], xs)})))

    with quiet_converter():
        tf.saved_model.save(model, str(path), signatures={"serving_default": tf.function(serve, input_signature=specs)})


def file_record(folder: Path, rel: str) -> dict:
    """A file of the model folder as the schema records it: name, byte length, sha256."""
    blob = (folder / rel).read_bytes()
    return {"path": rel, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}


def weight_files(model_dir: Path) -> list[dict]:
    """Every shard named in model.json's manifest, in manifest order, with byte length and sha256."""
    manifest = json.loads((model_dir / "model.json").read_text())["weightsManifest"]
    return [file_record(model_dir, rel) for group in manifest for rel in group["paths"]]


def tensor_values(values: np.ndarray, dtype: str) -> dict:
    """A tensor as goldens.json stores it: dtype, shape and flat row-major values (exact JSON numbers)."""
    values = np.asarray(values)
    # float64 holds every float32 (and float16) exactly, so the JSON numbers are the tensor's own values.
    flat = values.astype(np.float64) if values.dtype.kind == "f" else values
    return {"dtype": dtype, "shape": list(values.shape), "values": flat.ravel().tolist()}


# Lines of TensorFlow's and Keras's error reports that are context, not the failure: where the op was defined, the
# wrapper naming the layer, the arguments it got.
CONTEXT_LINES = ("Graph execution error", "Detected at node", "<stack traces", "Exception encountered", "Arguments received",
                 "Traceback")


def call_failure(err: Exception) -> str:
    """What a model's failing call says, in one line: the message of TensorFlow's op error or of the innermost
    error Keras wraps, without the graph-node, stack-frame and argument lines around it."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", getattr(err, "message", None) or str(err))
    lines = [re.sub(r"^\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\].*$", "", ln) for ln in text.splitlines()
             if ln.strip() and not ln[0].isspace() and not ln.startswith(CONTEXT_LINES)]
    lines = [ln.strip() for ln in lines if ln.strip()]
    return f"{type(err).__name__}: {lines[0][:300]}" if lines else type(err).__name__


def reference_outputs(source: Source) -> dict:
    """Python's outputs on the goldens, or ExportError saying the model cannot run on them (the user's goldens, or
    seeded ones outside a range the model reveals nowhere)."""
    try:
        with filtered_native_output():
            return source.reference(source.golden_in)
    except Exception as err:  # noqa: BLE001  (the user's model: any failure of its call becomes one line)
        raise ExportError(f"{source.name}: the model fails on its golden inputs ({call_failure(err)}); "
                          "pass --golden-inputs that fit it") from None


def goldens_document(source: Source) -> dict:
    """goldens.json: every input and Python's output for them, by name (and true labels, with Python's accuracy on them)."""
    io, golden_in = source.io, source.golden_in
    golden_out = reference_outputs(source)
    doc = {
        "schema": schema.VERSION,
        "count": golden_count(io, golden_in),
        "inputs": {s["name"]: tensor_values(golden_in[s["name"]], s["dtype"]) for s in io["inputs"]},
        "outputs": {s["name"]: tensor_values(golden_out[s["name"]], s["dtype"]) for s in io["outputs"]},
    }
    if source.golden_labels is not None:
        first = golden_out[io["outputs"][0]["name"]]
        doc["labels"] = np.asarray(source.golden_labels).astype(int).tolist()
        doc["python_accuracy"] = float(np.mean(first.argmax(axis=-1) == source.golden_labels))
    return doc


def quantization_record(qmap: dict | None) -> dict | None:
    """The schema's quantization field: the most lossy encoding, and where each encoding applies."""
    if not qmap:
        return None
    return {"dtype": quantization_label(qmap), "map": {k: ("*" if v is True else list(v)) for k, v in qmap.items()}}


def build_metadata(source: Source, folder: str, fmt: str, flavour: str | None, qmap: dict | None,
                   goldens: dict, model_dir: Path) -> dict:
    """metadata.json (model-folder schema): everything a harness needs to use and check the model without Python."""
    run = source.run
    training = {k: run[k] for k in ("config", "dataset", "final", "history", "train_seconds", "training_data") if k in run}
    weights = weight_bytes(model_dir)
    return {
        "schema": schema.VERSION,
        "name": folder,
        "format": fmt,
        "kind": source.kind,
        "source": {"type": source.origin, "name": source.name, "keras": flavour},
        "counterpart": source.counterpart,
        "inputs": source.io["inputs"],
        "outputs": source.io["outputs"],
        "labels": run.get("labels"),
        "preprocessing": run.get("preprocessing"),
        **({"vocabulary": run["vocabulary"]} if run.get("vocabulary") else {}),
        "quantization": quantization_record(qmap),
        "bytes": {"on_disk": weights["on_disk"], "float32": weights["float32"]},
        "files": weight_files(model_dir),
        "goldens": {**file_record(model_dir, schema.GOLDENS), "count": goldens["count"]},
        "training": training or None,
        "versions": {**run.get("versions", {}), "tensorflowjs": quiet_import("tensorflowjs").__version__},
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
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


@dataclass(frozen=True)
class ExportOptions:
    """How to export a source: format (auto|graph|layers|both), weight encoding, shard size, flavour, folder name,
    compatibility rules."""

    format: str = "auto"
    qmap: dict | None = None  # weight name glob → quantization dtype (export/weights.py parse_quantize), None for float32
    shard_size: int = SHARD_SIZE
    flavour: str = "keras3"  # the Keras of a subclassed model's functional twin (keras3 or tf_keras)
    folder: str | None = None  # --name: the folder's name instead of the source's (one format only)
    rules: tuple = compat.NAMES  # --compat: the compatibility rules the graph format may apply (export/compat/)
    runtimes: tuple = ("tfjs",)  # "litert" adds model.tflite (export/tflite.py)
    litert_batches: tuple = ()  # model.tflite's batch sizes beyond 1 and the goldens' row count


def write_format(source: Source, out_dir: Path, fmt: str, options: ExportOptions) -> tuple[str | None, dict]:
    """Convert source into out_dir in one format; return the Keras flavour used (None for SavedModels) and the
    compatibility rules applied ({name: count}; none for the layers format)."""
    qmap, shard_size, rules = options.qmap, options.shard_size, options.rules
    if fmt == "layers":
        model = source.layers_model(options.flavour)
        convert_layers(to_tf_keras(model, keras_args(model, source.io, source.golden_in)), out_dir, qmap, shard_size)
        return keras_flavour(model), {}
    if source.saved_model is not None:
        return None, convert_graph(source.saved_model, out_dir, qmap, shard_size, source.signature, source.tags, rules)
    model = source.keras_model if source.keras_model is not None else source.layers_model(options.flavour)
    applied = {}
    saved = compat.apply_keras(model, rules, applied)
    with tempfile.TemporaryDirectory() as tmp:
        save_keras_as_saved_model(saved, source.io, Path(tmp) / "saved_model")
        applied.update(convert_graph(Path(tmp) / "saved_model", out_dir, qmap, shard_size, rules=rules))
    return keras_flavour(model), applied


@contextlib.contextmanager
def serving_saved_model(source: Source, options: ExportOptions):
    """(SavedModel folder, signature, tags) serving the source: its own, or its Keras model saved to a temporary one."""
    if source.saved_model is not None:
        yield source.saved_model, source.signature, source.tags
        return
    model = source.keras_model if source.keras_model is not None else source.layers_model(options.flavour)
    with tempfile.TemporaryDirectory() as tmp:
        save_keras_as_saved_model(model, source.io, Path(tmp) / "saved_model")
        yield Path(tmp) / "saved_model", "serving_default", ("serve",)


def write_litert(source: Source, out_dir: Path, name: str, options: ExportOptions, goldens: dict) -> dict | None:
    """model.tflite beside the tf.js files when asked for: its metadata record, or {"refused": why} with a one-line note."""
    if "litert" not in options.runtimes:
        return None
    batches = (1, goldens["count"], *options.litert_batches)
    try:
        with serving_saved_model(source, options) as (saved_model, signature, tags), quiet_converter():
            return write_tflite(saved_model, signature, tags, source.io, source.golden_in, out_dir, options.qmap, batches)
    except LiteRtRefusal as err:
        note(f"note: {name}: no model.tflite for LiteRT.js: {err}")
        return {"refused": str(err)}


def base_name(source: Source) -> str:
    """The source's name as a safe folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", source.name).lstrip("._")[:56] or "model"


def folder_name(source: Source, fmt: str) -> str:
    """<name> for the format the model's type calls for, <name>-<format> for the other one (a safe folder name)."""
    return base_name(source) if fmt == source.natural_format() else f"{base_name(source)}-{fmt}"


def write_json(path: Path, doc: dict) -> None:
    """A JSON file that any parser reads: NaN or Infinity (which Python would write bare) are refused."""
    try:
        text = json.dumps(doc, allow_nan=False)
    except ValueError:
        raise ExportError(f"{path.name}: holds NaN or Infinity, which JSON cannot carry") from None
    path.write_text(text + "\n")


def check_goldens(goldens: dict) -> None:
    """Refuse goldens no harness could check: no rows, or NaN/Infinity among the inputs or Python's outputs."""
    if goldens["count"] < 1:
        raise ExportError("no golden inputs: give --golden-inputs with at least one row")
    for side in ("inputs", "outputs"):
        for name, tensor in goldens[side].items():
            if tensor["dtype"] in ("string", "bool"):
                continue
            finite = np.isfinite(np.asarray(tensor["values"], dtype=np.float64))
            if not finite.all():
                raise ExportError(f"golden {side[:-1]} {name!r} holds NaN or Infinity (first at flat index {int(np.argmin(finite))}): "
                                  "choose golden inputs for which the model's outputs are finite")


def note(message: str) -> None:
    """One line on stderr about a choice the exporter made or a limit the user should know; the export goes on."""
    print(message, file=sys.stderr)


def write_folder(source: Source, out_root: Path, name: str, fmt: str, options: ExportOptions, goldens: dict) -> dict:
    """One model folder, checked against the schema and swapped in atomically; returns its metadata."""
    qmap = options.qmap
    with output_directory(Path(out_root) / name) as tmp:
        used, applied = write_format(source, tmp, fmt, options)
        check_quantized(tmp, qmap)
        write_json(tmp / schema.GOLDENS, goldens)
        meta = build_metadata(source, name, fmt, used, qmap, goldens, tmp)
        if applied:  # in the pass's order; absent when no rule matched (such folders are as before the pass)
            meta["compat"] = [{"rule": rule, "count": count} for rule, count in applied.items()]
        litert = write_litert(source, tmp, name, options, goldens)
        if litert:
            meta["litert"] = litert
        if qmap and source.evaluate is not None:
            meta["accuracy"] = quantized_accuracy(source, tmp, options.flavour)
        schema.validate(goldens, schema.GOLDENS)
        schema.validate(meta)  # what every reader will check: refuse here, before the folder is swapped in
        write_json(tmp / schema.METADATA, meta)
        try:
            contract.verify_folder(tmp)  # the readers' integrity rules, before the folder is swapped in
        except contract.IntegrityError as err:
            raise ExportError(f"{name}: readers would refuse the exported folder: {err}") from None
        if fmt == "graph":
            for problem in kernel_gaps(tmp / "model.json"):
                note(f"warning: {name}: {problem}")
    return meta


def export_source(source: Source, out_root: Path = MODELS, options: ExportOptions = ExportOptions()) -> list[dict]:
    """Export source into out_root/<folder>/ per format, each folder swapped in atomically; return the metadata.

    auto: the layers format for functional/sequential Keras models, and the graph format (same folder name, with
    a one-line note saying why) when the layers format cannot carry the model; graph for everything else.
    """
    fmt, folder = options.format, options.folder
    formats = [source.natural_format()] if fmt == "auto" else list(FORMATS) if fmt == "both" else [fmt]
    if folder and len(formats) > 1:
        raise ExportError("--name needs a single --format")
    goldens = goldens_document(source)
    check_goldens(goldens)
    metas = []
    for f in formats:
        name = folder or folder_name(source, f)
        try:
            metas.append(write_folder(source, out_root, name, f, options, goldens))
        except UnsupportedModelError as err:
            if fmt != "auto" or f != "layers":
                raise
            note(f"note: {name}: exported as a graph model: {str(err).removesuffix('; use --format graph')}")
            metas.append(write_folder(source, out_root, name, "graph", options, goldens))
    return metas


def export_artifact(artifact: Path, out_root: Path = MODELS, options: ExportOptions = ExportOptions()) -> dict:
    """Export one training artifact folder to out_root/<name>/ (graph format unless told); return its metadata."""
    return export_source(from_artifact(Path(artifact)), out_root, options)[0]
