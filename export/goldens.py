"""Golden inputs: the user's own (--golden-inputs, checked against each input's spec) or seeded ones that fit each input."""

from pathlib import Path

import numpy as np

from tfjs_bridge.export.errors import ExportError

# Users' models without --golden-inputs get this many inputs from a fixed seed, so a re-export produces the same
# goldens. 16 rows keep metadata small and still exercise every output.
GOLDEN_SEED = 0
GOLDEN_COUNT = 16
# Integer inputs with no vocabulary to read from the model get ids below this: small enough to be a valid index
# into any lookup a model could have, and varied enough to exercise it.
DEFAULT_INT_RANGE = 10
# String inputs with no vocabulary to read get these words (out-of-vocabulary for most tables, which is a case too).
DEFAULT_WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "it", "red", "big", "sun", "sky", "?")
# Token inputs (integer or bool) with a free length get goldens of this length, or of the model's
# max_sequence_length where that is shorter: long enough to mix real tokens and padding, short enough for any model.
DEFAULT_LENGTH = 8
# Inputs whose name says what they hold, as keras-hub and Hugging Face name them: 0/1 masks of real tokens, and
# segment (token type) ids of a sentence pair.
MASK_NAMES = ("padding_mask", "attention_mask", "input_mask")
SEGMENT_NAMES = ("segment_ids", "token_type_ids")


def has_batch(spec: dict) -> bool:
    """True when the input's first dimension is a free batch dimension."""
    return len(spec["shape"]) >= 1 and spec["shape"][0] is None


def batched(io: dict) -> bool:
    """True when some input has a free batch dimension: goldens are then rows of a batch (scalars stay as they are)."""
    return any(has_batch(s) for s in io["inputs"])


def read_golden_file(golden_file: Path, io: dict) -> dict:
    """--golden-inputs: a .npy for a model with one input, or a .npz with one array per input name."""
    names = [s["name"] for s in io["inputs"]]
    try:
        if golden_file.suffix == ".npz":
            with np.load(golden_file, allow_pickle=False) as data:
                given = {k: data[k] for k in data.files}
        else:
            given = {names[0]: np.load(golden_file, allow_pickle=False)} if len(names) == 1 else None
    except (OSError, ValueError) as err:
        raise ExportError(f"--golden-inputs {golden_file}: cannot read it ({str(err).splitlines()[0]})") from None
    if given is None:
        raise ExportError(f"--golden-inputs {golden_file}: the model has {len(names)} inputs ({', '.join(names)}): "
                          "give a .npz with one array per input name (numpy.savez)")
    if sorted(given) != sorted(names):
        raise ExportError(f"--golden-inputs {golden_file}: arrays {sorted(given)} do not match the inputs {sorted(names)}")
    return given


def fit_golden(spec: dict, value: np.ndarray, where: str, rows: int | None) -> np.ndarray:
    """value cast to the input's dtype, or ExportError when its shape does not fit the input's."""
    shape = spec["shape"]
    if value.ndim != len(shape) or any(d is not None and d != g for d, g in zip(shape, value.shape)):
        raise ExportError(f"{where}: shape {list(value.shape)} does not fit input '{spec['name']}' {shape}")
    if rows is not None and value.shape[0] != rows:
        raise ExportError(f"{where}: every input needs the same number of rows, '{spec['name']}' has {value.shape[0]}")
    if spec["dtype"] == "string":
        if value.dtype.kind not in "US":
            raise ExportError(f"{where}: input '{spec['name']}' takes strings, got {value.dtype}")
        return value.astype(str)
    if value.dtype.kind in "US":
        raise ExportError(f"{where}: input '{spec['name']}' takes {spec['dtype']}, got strings")
    return value.astype(spec["dtype"])


def role_of(spec: dict) -> str | None:
    """'mask' or 'segment' for an integer or bool input named like one, else None."""
    if spec["dtype"] in ("string",) or spec["dtype"].startswith("float"):
        return None
    name = spec["name"].lower()
    if any(name.endswith(m) for m in MASK_NAMES):
        return "mask"
    return "segment" if any(name.endswith(m) for m in SEGMENT_NAMES) else None


def leading_ones(shape: tuple, rng) -> np.ndarray:
    """0/1 masks over the last axis: each row's first k entries are 1, k drawn from 1..length (one real token at least)."""
    if not shape:
        return np.asarray(1)
    real = np.asarray(rng.integers(1, shape[-1] + 1, size=shape[:-1]))
    return np.arange(shape[-1]) < real[..., None]


def seeded_values(spec: dict, shape: tuple, rng, hints: dict) -> np.ndarray:
    """Golden values in the input's dtype and a range it accepts (token ids below the vocabulary, 0/1 masks with a
    real token, segment ids 0..1, 0-255 bytes)."""
    dtype, hint = spec["dtype"], hints.get(spec["name"], {})
    role = role_of(spec)
    if role == "mask":
        return leading_ones(shape, rng).astype(dtype)
    if role == "segment":
        return rng.integers(0, min(2, hint.get("high", 2)), size=shape).astype(dtype)
    if dtype.startswith("float"):
        return rng.uniform(size=shape).astype(dtype)
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype == "string":
        words = list(hint.get("words") or DEFAULT_WORDS)
        return np.asarray(words, dtype=str)[rng.integers(0, len(words), size=shape)]
    return rng.integers(0, hint.get("high", DEFAULT_INT_RANGE), size=shape).astype(dtype)


def golden_shape(spec: dict, hint: dict) -> list:
    """The input's shape below the batch, free dimensions of token inputs set to a golden length (None if others remain)."""
    shape = spec["shape"][1:] if has_batch(spec) else spec["shape"]
    if spec["dtype"].startswith("float") or spec["dtype"] in ("string", "uint8"):
        return shape
    length = min(DEFAULT_LENGTH, hint.get("length") or DEFAULT_LENGTH)
    return [length if d is None else d for d in shape]


def golden_inputs_for(io: dict, golden_file: Path | None, hints: dict | None = None) -> dict:
    """Each input's golden values: the user's (checked against its spec), or seeded ones that fit its dtype and range.

    hints: {input name: {"high": ids below it, "words": [...], "length": longest sequence}} read from the model.
    """
    rows = GOLDEN_COUNT if batched(io) else None
    if golden_file is not None:
        given = read_golden_file(Path(golden_file), io)
        rows = next((given[s["name"]].shape[0] for s in io["inputs"] if has_batch(s) and given[s["name"]].ndim), None)
        return {s["name"]: fit_golden(s, given[s["name"]], f"--golden-inputs {golden_file}", rows if has_batch(s) else None)
                for s in io["inputs"]}
    rng = np.random.default_rng(GOLDEN_SEED)
    golden = {}
    for spec in io["inputs"]:
        shape = golden_shape(spec, (hints or {}).get(spec["name"], {}))
        if None in shape:
            raise ExportError(f"input '{spec['name']}' has shape {spec['shape']} with free dimensions: pass --golden-inputs "
                              f"FILE ({'.npy' if len(io['inputs']) == 1 else '.npz with one array per input name'})")
        golden[spec["name"]] = seeded_values(spec, (rows, *shape) if has_batch(spec) else tuple(shape), rng, hints or {})
    return golden


def golden_count(io: dict, golden_in: dict) -> int:
    """Rows in the goldens: the batch size where inputs are batched, else 1 (one call with fixed shapes)."""
    first = next((golden_in[s["name"]] for s in io["inputs"] if has_batch(s)), None)
    return 1 if first is None else int(first.shape[0])


def all_layers(model) -> list:
    """The model's layers and, depth first, those of the models and layers nested in it (a task model's backbone)."""
    found = []
    for layer in getattr(model, "layers", []):
        found += [layer, *all_layers(layer)]
    return found


def consumers(layers: list, name: str) -> list:
    """Layers that the input layer called name feeds directly (Keras 3 nodes have .operation, tf_keras .outbound_layer)."""
    source = next((l for l in layers if type(l).__name__ == "InputLayer" and l.name == name), None)
    nodes = getattr(source, "_outbound_nodes", []) if source is not None else []
    return [getattr(n, "operation", None) or getattr(n, "outbound_layer", None) for n in nodes]


def model_attribute(model, layers: list, attr: str) -> int | None:
    """An integer attribute (vocabulary_size, max_sequence_length) of the model or a model nested in it."""
    found = [getattr(m, attr) for m in (model, *layers) if isinstance(getattr(m, attr, None), int)]
    return found[0] if found else None


def golden_hints(model, io: dict) -> dict:
    """Input ranges a Keras model reveals: vocabulary sizes (the Embedding an input feeds, else the model's
    vocabulary_size, else the smallest Embedding), lookup vocabularies, and max_sequence_length."""
    layers = all_layers(model)
    sizes = [layer.input_dim for layer in layers if isinstance(getattr(layer, "input_dim", None), int)
             and "Embedding" in type(layer).__name__]
    words = [w for layer in layers if type(layer).__name__ == "StringLookup"
             for w in layer.get_vocabulary() if w and w != "[UNK]"]
    vocabulary, length = model_attribute(model, layers, "vocabulary_size"), model_attribute(model, layers, "max_sequence_length")
    hints = {}
    for spec in io["inputs"]:
        hint = hints[spec["name"]] = {"length": length} if length else {}
        if spec["dtype"] == "string" and words:
            hint["words"] = [*sorted(set(words)), "[never-seen]"]  # an unknown word exercises the OOV path
        elif spec["dtype"].startswith(("int", "uint")):
            fed = [c.input_dim for c in consumers(layers, spec["name"]) if isinstance(getattr(c, "input_dim", None), int)]
            high = min(fed) if fed else vocabulary or (min(sizes) if sizes else None)
            if high:
                hint["high"] = high
    return hints
