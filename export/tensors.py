"""Inputs and outputs by name: specs read from SavedModel signatures and Keras models, and calls that take them."""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import filtered_native_output, quiet_import, tf
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


def nesting(model, side: str):
    """How a Keras model's call takes its inputs or returns its outputs: a tensor, a list, or a (nested) dict of them.

    Keras 3 functional models keep it in _inputs_struct/_outputs_struct, tf_keras in _nested_inputs/_nested_outputs;
    sequential models have one input and one output.
    """
    for attr in (f"_{side}_struct", f"_nested_{side}"):
        if getattr(model, attr, None) is not None:
            return getattr(model, attr)
    return getattr(model, side)


def has_dict(structure) -> bool:
    """True when a nesting holds a dict anywhere: its tensors are then named by their keys."""
    if isinstance(structure, dict):
        return True
    return isinstance(structure, (list, tuple)) and any(has_dict(s) for s in structure)


def keyed_names(structure) -> list[str]:
    """The flat tensors' names in a nesting with dicts: their key paths joined by '.' (in keras.tree's flat order)."""
    keras = quiet_import("keras")
    return [".".join(str(k) for k in path) for path, _ in keras.tree.flatten_with_path(structure)]


def flat(structure) -> list:
    """A nesting's tensors in keras.tree's flat order (dict keys sorted), the order model.inputs/outputs use."""
    return quiet_import("keras").tree.flatten(structure)


def keras_io(model) -> dict:
    """Every input and output of a Keras model, with shape and dtype, in the flat order of its call's nesting.

    Inputs and outputs given as dicts (keras-hub backbones: token_ids, padding_mask → sequence_output,
    pooled_output) are named by their keys. Otherwise inputs are named after their layers; a single output is
    named 'output' (what training's SavedModels call it), several after the layers that make them, numbered where
    one layer makes several.
    """
    ins, outs = nesting(model, "inputs"), nesting(model, "outputs")
    in_names = keyed_names(ins) if has_dict(ins) else [history_name(t) for t in flat(ins)]
    inputs = [tensor_spec(n, t.shape, t.dtype, "input") for n, t in zip(in_names, flat(ins))]
    if has_dict(outs):
        names = keyed_names(outs)
    else:
        names = [history_name(t) for t in flat(outs)]
        names = ["output"] if len(names) == 1 else [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]
    outputs = [tensor_spec(n, t.shape, t.dtype, "output") for n, t in zip(names, flat(outs))]
    if len({s["name"] for s in inputs}) != len(inputs):
        raise ExportError(f"{model.name}: two inputs share a name; name each keras.Input")
    return {"inputs": inputs, "outputs": outputs}


def keras_args(model, io: dict, named: dict):
    """Named input arrays as the Keras model's call takes them: one array, a list in its input order, or its dict."""
    structure = nesting(model, "inputs")
    args = [named[s["name"]] for s in io["inputs"]]
    if has_dict(structure):
        return quiet_import("keras").tree.pack_sequence_as(structure, args)
    return args[0] if len(args) == 1 else args


def keras_call(model, io: dict, named: dict) -> list:
    """The Keras model's outputs on named inputs (inference mode), flat in io['outputs'] order."""
    return flat(model(keras_args(model, io, named), training=False))


def keras_outputs(model, io: dict, named: dict) -> dict:
    """A Keras model's outputs on named input arrays, as {output name: array}."""
    return {s["name"]: as_numpy(v, s["dtype"]) for s, v in zip(io["outputs"], keras_call(model, io, named))}


# Outputs that are vectors, not class scores, by the names backbones give them (keras-hub's pooled_output and
# sequence_output, Hugging Face's pooler_output and last_hidden_state, "embeddings", "features", ...).
FEATURE_NAMES = re.compile(r"(?i)(pooled|pooler|sequence|encoder)_outputs?|(last_)?hidden_states?|embeddings?|features?")


def guess_kind(output: dict) -> str:
    """Classification for a [batch, k≥2] output (argmax is meaningful) unless its name says it is a feature vector
    (an encoder's pooled output), regression otherwise."""
    shape = output["shape"]
    if FEATURE_NAMES.fullmatch(output.get("name") or ""):
        return "regression"
    return "classification" if len(shape) == 2 and (shape[-1] or 0) >= 2 else "regression"
