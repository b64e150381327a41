"""What can be exported: the project's training artifacts, and users' SavedModels, .keras and .h5 files."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfjs_bridge.common.paths import NAME
from tfjs_bridge.common.quiet import filtered_native_output, quiet_import, tf
from tfjs_bridge.export.errors import ExportError, UnsupportedModelError
from tfjs_bridge.export.keras_bridge import is_graph_network

# Users' models without --golden-inputs get this many uniform [0, 1) inputs from a fixed seed, so a
# re-export produces the same goldens. 16 rows keep metadata small and still exercise every output.
GOLDEN_SEED = 0
GOLDEN_COUNT = 16


# Users' models without --golden-inputs get this many inputs from a fixed seed, so a re-export produces the same
# goldens. 16 rows keep metadata small and still exercise every output.
GOLDEN_SEED = 0
GOLDEN_COUNT = 16
# Dtypes tf.js can take or return (the model-folder schema's list); anything else is refused by name.
DTYPES = ("float32", "float16", "int32", "int64", "uint8", "bool", "string")
# Integer inputs with no vocabulary to read from the model get ids below this: small enough to be a valid index
# into any lookup a model could have, and varied enough to exercise it.
DEFAULT_INT_RANGE = 10
# String inputs with no vocabulary to read get these words (out-of-vocabulary for most tables, which is a case too).
DEFAULT_WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "it", "red", "big", "sun", "sky", "?")


@dataclass
class Source:
    """One model to export, with the reference outputs every format must reproduce."""

    name: str
    kind: str  # "classification" or "regression"
    io: dict  # {"inputs": [spec], "outputs": [spec]}, each spec {name, shape, dtype} (model-folder schema)
    origin: str  # the schema's source.type: artifact, saved_model, keras, h5 or in_memory
    reference: Callable[[dict], dict]  # {input name: array} → {output name: array}, Python's own outputs
    golden_in: dict  # {input name: array}, every input's golden values in its own dtype
    golden_labels: np.ndarray | None = None
    saved_model: Path | None = None  # graph export reads this when set
    keras_model: object = None  # a functional or sequential Keras model
    twin: Callable[[str], object] | None = None  # flavour → functional twin of a subclassed model
    evaluate: Callable[[object], float] | None = None  # test accuracy of a Keras model, for classifiers we can score
    counterpart: str | None = None  # the SavedModel's folder name under an artifacts root (the web app's Python side)
    run: dict = field(default_factory=dict)
    signature: str = "serving_default"  # the SavedModel signature the graph converter reads
    tags: tuple = ("serve",)  # the SavedModel's meta-graph tags

    def natural_format(self) -> str:
        """The format the model's type calls for: layers for functional/sequential, graph otherwise."""
        return "layers" if self.keras_model is not None and is_graph_network(self.keras_model) else "graph"

    def layers_model(self, flavour: str = "keras3"):
        """A functional/sequential Keras model for the layers format (the twin, for subclassed models)."""
        if self.keras_model is not None:
            return self.keras_model
        if self.twin is None:
            raise UnsupportedModelError(f"{self.name}: a SavedModel has no Keras topology for the layers format; use --format graph")
        return self.twin(flavour)


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


def test_accuracy(test_set: Path) -> Callable[[object], float]:
    """Scores a Keras classifier on the test split its training run saved beside it (test_set.npz)."""
    def evaluate(model) -> float:
        with np.load(test_set, allow_pickle=False) as data:
            x, y = data["x"], data["y"]
        probs = np.asarray(model.predict(x, batch_size=500, verbose=0))
        return float(np.mean(probs.argmax(axis=-1) == y))
    return evaluate


def from_artifact(artifact: Path) -> Source:
    """A model trained by `python -m train`: its SavedModel, run.json, goldens and a functional twin."""
    from tfjs_bridge.export.twins import build_twin

    artifact = Path(artifact)
    run = read_run(artifact)
    saved_model = artifact / "saved_model"
    _, fn, io = serving_signature(saved_model)
    reference = signature_reference(fn, io)
    (spec,), (out,) = io["inputs"], io["outputs"]  # what training writes: one float32 input, one output
    golden_in = {spec["name"]: np.load(artifact / "golden_inputs.npy").astype(np.float32)}
    labels_file, test_set = artifact / "golden_labels.npy", artifact / "test_set.npz"
    single = lambda x: reference({spec["name"]: x})[out["name"]]  # noqa: E731
    return Source(
        name=run["name"], kind=run["kind"], io=io, origin="artifact", reference=reference, golden_in=golden_in,
        golden_labels=np.load(labels_file) if labels_file.is_file() else None, saved_model=saved_model,
        twin=lambda flavour: build_twin(run["name"], saved_model, spec["shape"][1:], flavour, single, golden_in[spec["name"]]),
        evaluate=test_accuracy(test_set) if test_set.is_file() else None, counterpart=counterpart_name(artifact), run=run,
    )


def counterpart_name(folder: Path) -> str | None:
    """The folder's name when a server could find it by that name under an artifacts root, else None."""
    name = Path(folder).resolve().name
    return name if NAME.match(name) else None


def guess_kind(output_shape: list) -> str:
    """Classification for [batch, k≥2] outputs (argmax is meaningful), regression otherwise."""
    return "classification" if len(output_shape) == 2 and (output_shape[-1] or 0) >= 2 else "regression"


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


def seeded_values(spec: dict, shape: tuple, rng, hints: dict) -> np.ndarray:
    """Golden values in the input's dtype and a range it accepts (token ids below the vocabulary, 0-255 bytes)."""
    dtype, hint = spec["dtype"], hints.get(spec["name"])
    if dtype.startswith("float"):
        return rng.uniform(size=shape).astype(dtype)
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype == "string":
        words = list(hint or DEFAULT_WORDS)
        return np.asarray(words, dtype=str)[rng.integers(0, len(words), size=shape)]
    return rng.integers(0, hint or DEFAULT_INT_RANGE, size=shape).astype(dtype)


def golden_inputs_for(io: dict, golden_file: Path | None, hints: dict | None = None) -> dict:
    """Each input's golden values: the user's (checked against its spec), or seeded ones that fit its dtype and range.

    hints: {input name: vocabulary size (int inputs) or words (string inputs)} read from the model.
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
        shape = spec["shape"][1:] if has_batch(spec) else spec["shape"]
        if None in shape:
            raise ExportError(f"input '{spec['name']}' has shape {spec['shape']} with free dimensions: pass --golden-inputs "
                              f"FILE ({'.npy' if len(io['inputs']) == 1 else '.npz with one array per input name'})")
        golden[spec["name"]] = seeded_values(spec, (rows, *shape) if has_batch(spec) else tuple(shape), rng, hints or {})
    return golden


def golden_count(io: dict, golden_in: dict) -> int:
    """Rows in the goldens: the batch size where inputs are batched, else 1 (one call with fixed shapes)."""
    first = next((golden_in[s["name"]] for s in io["inputs"] if has_batch(s)), None)
    return 1 if first is None else int(first.shape[0])


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


def golden_hints(model, io: dict) -> dict:
    """Input ranges a Keras model reveals: the smallest Embedding input_dim for integer inputs, lookup vocabularies."""
    sizes = [layer.input_dim for layer in model.layers if type(layer).__name__ == "Embedding"]
    words = [w for layer in model.layers if type(layer).__name__ == "StringLookup"
             for w in layer.get_vocabulary() if w and w != "[UNK]"]
    hints = {}
    for spec in io["inputs"]:
        if spec["dtype"] == "string" and words:
            hints[spec["name"]] = [*sorted(set(words)), "[never-seen]"]  # an unknown word exercises the OOV path
        elif spec["dtype"].startswith(("int", "uint")) and sizes:
            hints[spec["name"]] = min(sizes)
    return hints


def from_keras(model, name: str, golden_file: Path | None = None, kind: str | None = None, origin: str = "in_memory") -> Source:
    """An in-memory functional or sequential Keras model (Keras 3 or tf_keras), any number of inputs and outputs."""
    io = keras_io(model)
    golden_in = golden_inputs_for(io, golden_file, golden_hints(model, io))
    reference = lambda named: keras_outputs(model, io, model(keras_args(io, named), training=False))  # noqa: E731
    return Source(name=name, kind=kind or guess_kind(io["outputs"][0]["shape"]), io=io, origin=origin, reference=reference,
                  golden_in=golden_in, keras_model=model, run={"name": name})


def import_custom_objects(spec: str) -> None:
    """Import the user's module (a .py file or a module name) so its registered Keras classes can be deserialized."""
    import importlib
    import importlib.util
    import sys

    try:
        if spec.endswith(".py"):
            path = Path(spec).resolve()
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[path.stem] = module
            module_spec.loader.exec_module(module)
        else:
            sys.path.insert(0, str(Path.cwd()))  # a module in the user's project folder, as `python -c "import X"` finds it
            try:
                importlib.import_module(spec)
            finally:
                sys.path.pop(0)
    except Exception as err:  # noqa: BLE001  (the user's code: any failure becomes one line)
        raise ExportError(f"--custom-objects {spec}: importing it failed ({type(err).__name__}: "
                          f"{str(err).strip().splitlines()[0] if str(err).strip() else 'no message'})") from None


def load_failure(err: Exception) -> str:
    """The line of a Keras load error that says what went wrong (Keras buries 'Could not locate class' in a config dump)."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    located = next((ln[ln.index("Could not locate"):] for ln in lines if "Could not locate" in ln), None)
    if located:
        return (located.split(". Make sure")[0].rstrip(".") + ": register it with "
                "@keras.saving.register_keras_serializable and pass --custom-objects FILE.py")
    return lines[0] if lines else type(err).__name__


def load_keras_file(path: Path):
    """A .keras (Keras 3, safe_mode on) or .h5 (Keras 3, else tf_keras) model file."""
    keras = quiet_import("keras")
    try:
        with filtered_native_output():
            return keras.saving.load_model(str(path), safe_mode=True, compile=False)
    except Exception as err:  # noqa: BLE001  (any load failure becomes the one-line error below)
        if path.suffix == ".h5":
            logger = tf.get_logger()
            level = logger.level
            logger.setLevel("ERROR")  # tf_keras: "Compiled the loaded model, but the compiled metrics have yet to be built"
            try:
                return quiet_import("tf_keras").models.load_model(str(path), compile=False)
            except Exception:  # noqa: BLE001
                pass
            finally:
                logger.setLevel(level)
        raise ExportError(f"{path}: cannot load Keras model ({load_failure(err)})") from None


def from_saved_model(path: Path, golden_file: Path | None, kind: str | None, signature: str, tags) -> Source:
    """A SavedModel directory, through one of its signatures."""
    _, fn, io = serving_signature(path, signature, tags)
    golden_in = golden_inputs_for(io, golden_file)
    name = path.name if signature == "serving_default" else f"{path.name}-{signature}"
    return Source(name=name, kind=kind or guess_kind(io["outputs"][0]["shape"]), io=io, origin="saved_model",
                  reference=signature_reference(fn, io), golden_in=golden_in, saved_model=path,
                  counterpart=counterpart_name(path), run={"name": path.name}, signature=signature, tags=tuple(tags))


def from_path(path: Path, golden_file: Path | None = None, kind: str | None = None, *, signature: str | None = None,
              tags=None, custom_objects: str | None = None) -> Source:
    """A user's model: an artifact folder, a SavedModel directory, or a .keras / .h5 file."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"no trained model at {path}: no such file or directory "
                          "(give an artifact name, a SavedModel directory, or a .keras / .h5 file)")
    if (path / "run.json").is_file():
        if golden_file is not None or kind is not None or signature or tags:
            # Silently ignoring them would export goldens or a kind the user did not ask for.
            raise ExportError(f"{path}: a training artifact brings its own golden inputs, kind and signature; --golden-inputs, "
                              "--kind, --signature and --tags are for SavedModel directories and .keras / .h5 files")
        return from_artifact(path)
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ExportError(f"{path}: not a SavedModel directory (no saved_model.pb) nor a training artifact")
        return from_saved_model(path, golden_file, kind, signature or "serving_default", tags or ("serve",))
    if path.suffix not in (".keras", ".h5"):
        raise ExportError(f"{path}: unsupported file type '{path.suffix}': give a SavedModel directory, a .keras or a .h5 file")
    if signature or tags:
        raise ExportError(f"{path}: --signature and --tags are for SavedModel directories")
    if custom_objects:
        import_custom_objects(custom_objects)
    model = load_keras_file(path)
    return from_keras(model, path.stem, golden_file, kind, origin=path.suffix.lstrip("."))
