"""model.tflite for LiteRT.js: TensorFlow's own TFLite converter (builtin ops only), one signature per fixed batch.

LiteRT.js runs static shapes only (a [-1, 4] input fails at run time), so the model is traced once per batch size
into signatures named batch_<n>, which share one copy of the weights. What LiteRT.js cannot carry is refused with
one line (LiteRtRefusal) and the tf.js export goes on without a model.tflite.
"""

import hashlib
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import filtered_native_output, tf
from tfjs_bridge.export.errors import ExportError

TFLITE = "model.tflite"
# LiteRT.js's tensors: float32, int32 and uint8 only (its Tensor constructor refuses any other typed array).
LITERT_DTYPES = frozenset({"float32", "int32", "uint8"})
# --quantize's encoding → TFLite's: float16 weights, or dynamic-range int8 (per-channel int8 weights; TFLite's
# hybrid kernels quantize activations on the fly). uint16 has no TFLite counterpart.
TFLITE_QUANTIZATION = {"float16": "float16", "uint8": "int8"}
# MLIR's diagnostics of a failed conversion (loc(...): error: ..., and its notes): the refusal's one line says why.
MLIR_DIAGNOSTICS = re.compile(r"^(loc\(|<unknown>:|error: |warning: |note: |\s+)")


class LiteRtRefusal(ExportError):
    """A model (or option) TFLite or LiteRT.js cannot carry; the message says why in one line."""


def litert_encoding(qmap: dict | None) -> str | None:
    """The TFLite weight encoding for --quantize's map (None: float32), or a LiteRtRefusal."""
    if not qmap:
        return None
    if any(v is not True for v in qmap.values()):
        raise LiteRtRefusal("TFLite quantizes every weight or none: --quantize MODE=GLOB has no TFLite counterpart")
    (mode,) = qmap if len(qmap) == 1 else (None,)
    if mode not in TFLITE_QUANTIZATION:
        raise LiteRtRefusal(f"--quantize {','.join(qmap)} has no TFLite counterpart (float16, or uint8 → dynamic-range int8)")
    return TFLITE_QUANTIZATION[mode]


def check_dtypes(io: dict) -> None:
    """Refuse inputs or outputs of a dtype LiteRT.js has no tensor for."""
    for side in ("inputs", "outputs"):
        for spec in io[side]:
            if spec["dtype"] not in LITERT_DTYPES:
                raise LiteRtRefusal(f"{side[:-1]} '{spec['name']}' is {spec['dtype']}; LiteRT.js has float32, int32 and uint8 "
                                    "tensors only")


def fixed_shape(spec: dict, batch: int, golden: np.ndarray) -> list[int]:
    """The input's shape with the batch fixed and any other free dimension fixed at the goldens' size."""
    shape = list(spec["shape"])
    if shape and shape[0] is None:
        shape[0] = batch
    return [golden.shape[i] if d is None else d for i, d in enumerate(shape)]


def batch_sizes(io: dict, requested: tuple[int, ...]) -> tuple[int, ...]:
    """The batch sizes to trace: those requested, or the one a model with a fixed batch dimension has."""
    fixed = {s["shape"][0] for s in io["inputs"] if s["shape"] and s["shape"][0] is not None}
    if not fixed:
        return tuple(sorted(set(requested)))
    if len(fixed) > 1 or any(not s["shape"] for s in io["inputs"]):
        raise LiteRtRefusal("the inputs disagree on a batch dimension; TFLite signatures need one batch size")
    return tuple(fixed)


def traced_signatures(fn, io: dict, golden_in: dict, batches: tuple[int, ...]) -> dict:
    """One concrete function per batch size: the serving function with static input shapes, outputs by name."""
    names = [s["name"] for s in io["inputs"]]
    outputs = [s["name"] for s in io["outputs"]]

    def serve(*xs):
        result = fn(**dict(zip(names, xs)))
        return {n: result[n] for n in outputs}

    signatures = {}
    for batch in batches:
        specs = [tf.TensorSpec(fixed_shape(s, batch, golden_in[s["name"]]), s["dtype"], name=s["name"]) for s in io["inputs"]]
        signatures[f"batch_{batch}"] = tf.function(serve, input_signature=specs).get_concrete_function()
    return signatures


def unsupported_ops(message: str) -> str:
    """The converter's refusal as one line: the TF ops outside the TFLite builtins, or its first error line."""
    ops = sorted(set(re.findall(r"'tf\.(\w+)'", message)))
    if "Lowering tensor list ops is failed" in message:
        return "the TFLite converter cannot lower its TensorList loop (a Keras 3 RNN) to builtin ops"
    if ops:
        return f"TF ops outside the TFLite builtins: {', '.join(ops)} (LiteRT.js runs builtin ops only)"
    lines = [ln.strip() for ln in message.splitlines() if "error:" in ln] or [message.strip().splitlines()[0]]
    return f"the TFLite converter refused it: {lines[0].split('error:')[-1].strip()[:300]}"


def convert(saved_model: Path, keys: list[str], encoding: str | None) -> bytes:
    """TFLite flatbuffer of a SavedModel's signatures, builtin ops only, weights encoded as asked."""
    from tensorflow.lite.python.convert_phase import ConverterError

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), signature_keys=keys)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if encoding:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if encoding == "float16":
        converter.target_spec.supported_types = [tf.float16]
    try:
        with filtered_native_output(MLIR_DIAGNOSTICS):
            return converter.convert()
    except (ConverterError, ValueError) as err:  # and the ValueErrors MLIR raises for shapes it cannot fix
        raise LiteRtRefusal(unsupported_ops(str(err))) from None


def tensor_records(details: dict, order: list[str]) -> list[dict]:
    """A signature's tensors as metadata records, in the signature's order: name, position, static shape, dtype."""
    return [{"name": name, "index": i, "shape": [int(d) for d in details[name]["shape"]],
             "dtype": np.dtype(details[name]["dtype"]).name} for i, name in enumerate(order)]


def read_signatures(blob: bytes, io: dict) -> list[dict]:
    """Each signature of the flatbuffer as LiteRT.js will see it, checked against the model's inputs and outputs."""
    with filtered_native_output(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TF 2.19 calls tf.lite.Interpreter deprecated in favour of ai_edge_litert
        interpreter = tf.lite.Interpreter(model_content=blob)
    found = []
    for key, names in interpreter.get_signature_list().items():
        runner = interpreter.get_signature_runner(key)
        inputs = tensor_records(runner.get_input_details(), names["inputs"])
        outputs = tensor_records(runner.get_output_details(), names["outputs"])
        if sorted(names["outputs"]) != sorted(s["name"] for s in io["outputs"]):
            raise LiteRtRefusal(f"signature {key} has outputs {names['outputs']}, the model {[s['name'] for s in io['outputs']]}")
        details = {**runner.get_input_details(), **runner.get_output_details()}
        for name, d in details.items():
            if -1 in d["shape_signature"]:  # e.g. the result of a tf.cond or while loop: LiteRT.js sizes buffers up front
                raise LiteRtRefusal(f"TFLite leaves '{name}' a dynamic shape {d['shape_signature'].tolist()} even at a fixed "
                                    "batch; LiteRT.js needs static shapes")
        for record in inputs + outputs:
            if record["dtype"] not in LITERT_DTYPES:
                raise LiteRtRefusal(f"TFLite made '{record['name']}' {record['dtype']}; LiteRT.js has float32, int32 and uint8 only")
        found.append({"key": key, "batch": int(key.removeprefix("batch_")), "inputs": inputs, "outputs": outputs})
    return sorted(found, key=lambda s: s["batch"])


def write_tflite(saved_model: Path, signature: str, tags, io: dict, golden_in: dict, out_dir: Path,
                 qmap: dict | None, batches: tuple[int, ...]) -> dict:
    """Write out_dir/model.tflite from a SavedModel's signature; return metadata's "litert" record (LiteRtRefusal if not)."""
    encoding = litert_encoding(qmap)
    check_dtypes(io)
    batches = batch_sizes(io, batches)
    with filtered_native_output():
        loaded = tf.saved_model.load(str(saved_model), tags=list(tags))
    signatures = traced_signatures(loaded.signatures[signature], io, golden_in, batches)
    # A fresh root holds the model: a root with a `serve` endpoint (Keras's model.export) makes the converter
    # replace the signatures asked for with `serving_default`.
    root = tf.Module()
    root.model = loaded
    with tempfile.TemporaryDirectory() as tmp:
        with filtered_native_output():
            tf.saved_model.save(root, tmp, signatures=signatures)
        blob = convert(Path(tmp), list(signatures), encoding)
    records = read_signatures(blob, io)
    (out_dir / TFLITE).write_bytes(blob)
    return {"file": TFLITE, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(), "quantization": encoding,
            "converter": f"tf.lite.TFLiteConverter (TensorFlow {tf.__version__}), TFLITE_BUILTINS", "signatures": records}
