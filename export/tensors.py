"""Inputs and outputs by name: specs read from SavedModel signatures and Keras models, and calls that take them."""

from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import filtered_native_output, tf
from tfjs_bridge.export.errors import ExportError

# Dtypes tf.js can take or return (the model-folder schema's list); anything else is refused by name.
DTYPES = ("float32", "float16", "int32", "int64", "uint8", "bool", "string")


def dtype_name(dtype) -> str:
    """A TensorFlow, NumPy or Keras dtype as its plain name (float32, int64, string, ...)."""
    return tf.as_dtype(dtype).name


def tensor_spec(name: str, shape, dtype, role: str) -> dict:
    """One entry of the schema's inputs/outputs, or ExportError naming a dtype tf.js cannot carry."""
    dtype = dtype_name(dtype)
    if dtype.startswith("complex"):
        raise ExportError(f"{role} '{name}' is {dtype}: tf.js model outputs cannot be complex; return tf.math.real() "
                          "and tf.math.imag() (or tf.abs()) as separate float outputs")
    if dtype not in DTYPES:
        raise ExportError(f"{role} '{name}' is {dtype}, which tf.js cannot carry ({', '.join(DTYPES)}): cast it in the model")
    return {"name": name, "shape": None if shape is None else list(shape), "dtype": dtype}


def serving_signature(saved_model_dir: Path, signature: str = "serving_default", tags=("serve",)):
    """The SavedModel's signature function with every input's and output's spec, by name."""
    try:
        with filtered_native_output():
            loaded = tf.saved_model.load(str(saved_model_dir), tags=list(tags))
    except (OSError, ValueError, RuntimeError, tf.errors.OpError) as err:
        raise ExportError(f"{saved_model_dir}: cannot load SavedModel with tags {','.join(tags)} "
                          f"({str(err).strip().splitlines()[0]})") from None
    fn = loaded.signatures.get(signature)
    if fn is None:
        found = ", ".join(sorted(loaded.signatures)) or "none"
        raise ExportError(f"{saved_model_dir}: no signature '{signature}' (it has: {found}); pick one with --signature NAME")
    outputs = fn.structured_outputs
    if not isinstance(outputs, dict):  # what the converter requires too; tf.saved_model.save always writes a dict
        raise ExportError(f"{saved_model_dir}: signature '{signature}' does not return a dict of named outputs")
    io = {
        "inputs": [tensor_spec(n, s.shape.as_list() if s.shape.rank is not None else None, s.dtype, "input")
                   for n, s in sorted(fn.structured_input_signature[1].items())],
        "outputs": [tensor_spec(n, s.shape.as_list() if s.shape.rank is not None else None, s.dtype, "output")
                    for n, s in sorted(outputs.items())],
    }
    for spec in io["inputs"] + io["outputs"]:
        if spec["shape"] is None:
            raise ExportError(f"{saved_model_dir}: '{spec['name']}' has unknown rank; give the signature a shaped TensorSpec")
    return loaded, fn, io


def as_numpy(value, dtype: str) -> np.ndarray:
    """A tensor's value as NumPy, strings decoded to str (TensorFlow returns bytes)."""
    value = np.asarray(value)
    if dtype == "string":
        return np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b), otypes=[str])(value)
    return value


def signature_reference(fn, io: dict) -> Callable[[dict], dict]:
    """Outputs of a SavedModel's own signature function: the reference every harness compares to."""
    def run(inputs: dict) -> dict:
        outputs = fn(**{s["name"]: tf.constant(inputs[s["name"]], dtype=s["dtype"]) for s in io["inputs"]})
        return {s["name"]: as_numpy(outputs[s["name"]], s["dtype"]) for s in io["outputs"]}
    return run


def history_name(tensor) -> str:
    """The name of the layer that makes a Keras tensor (Keras 3 and tf_keras both keep it in _keras_history)."""
    return tensor._keras_history[0].name


def keras_io(model) -> dict:
    """Every input and output of a Keras model, named after its layers, with shape and dtype.

    A single output is named 'output' (what training's SavedModels call it); several are named after the layers
    that make them, numbered where one layer makes several.
    """
    inputs = [tensor_spec(history_name(t), t.shape, t.dtype, "input") for t in model.inputs]
    names = [history_name(t) for t in model.outputs]
    if len(names) == 1:
        names = ["output"]
    names = [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]
    outputs = [tensor_spec(n, t.shape, t.dtype, "output") for n, t in zip(names, model.outputs)]
    if len({s["name"] for s in inputs}) != len(inputs):
        raise ExportError(f"{model.name}: two inputs share a name; name each keras.Input")
    return {"inputs": inputs, "outputs": outputs}


def keras_args(io: dict, named: dict):
    """Named input arrays as a Keras model's call takes them: one array, or a list in the model's input order."""
    args = [named[s["name"]] for s in io["inputs"]]
    return args[0] if len(args) == 1 else args


def keras_outputs(model, io: dict, result) -> dict:
    """A Keras model's call result as {output name: array}, in the order of model.outputs."""
    flat = [result] if len(io["outputs"]) == 1 and not isinstance(result, (list, tuple, dict)) else result
    if isinstance(flat, dict):  # outputs given as a dict: the model's output order is its output layers' order
        flat = [flat[n] for n in getattr(model, "output_names", sorted(flat))]
    return {s["name"]: as_numpy(v, s["dtype"]) for s, v in zip(io["outputs"], flat)}


def guess_kind(output_shape: list) -> str:
    """Classification for [batch, k≥2] outputs (argmax is meaningful), regression otherwise."""
    return "classification" if len(output_shape) == 2 and (output_shape[-1] or 0) >= 2 else "regression"
