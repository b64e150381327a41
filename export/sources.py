"""What can be exported: the project's training artifacts, and users' SavedModels, .keras and .h5 files."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfjs_bridge.common.paths import NAME
from tfjs_bridge.common.quiet import filtered_native_output, quiet_import, tf
from tfjs_bridge.export.errors import ExportError
from tfjs_bridge.export.keras_bridge import is_graph_network

# Users' models without --golden-inputs get this many uniform [0, 1) inputs from a fixed seed, so a
# re-export produces the same goldens. 16 rows keep metadata small and still exercise every output.
GOLDEN_SEED = 0
GOLDEN_COUNT = 16


@dataclass
class Source:
    """One model to export, with the reference outputs every format must reproduce."""

    name: str
    kind: str  # "classification" or "regression"
    io: dict  # {"inputs": [spec], "outputs": [spec]}, each spec {name, shape, dtype} (model-folder schema)
    origin: str  # the schema's source.type: artifact, saved_model, keras, h5 or in_memory
    reference: Callable[[np.ndarray], np.ndarray]
    golden_in: np.ndarray
    golden_labels: np.ndarray | None = None
    saved_model: Path | None = None  # graph export reads this when set
    keras_model: object = None  # a functional or sequential Keras model
    twin: Callable[[str], object] | None = None  # flavour → functional twin of a subclassed model
    evaluate: Callable[[object], float] | None = None  # test accuracy of a Keras model, for classifiers we can score
    counterpart: str | None = None  # the SavedModel's folder name under an artifacts root (the web app's Python side)
    run: dict = field(default_factory=dict)

    def natural_format(self) -> str:
        """The format the model's type calls for: layers for functional/sequential, graph otherwise."""
        return "layers" if self.keras_model is not None and is_graph_network(self.keras_model) else "graph"

    def layers_model(self, flavour: str = "keras3"):
        """A functional/sequential Keras model for the layers format (the twin, for subclassed models)."""
        if self.keras_model is not None:
            return self.keras_model
        if self.twin is None:
            raise ExportError(f"{self.name}: a SavedModel has no Keras topology for the layers format; use --format graph")
        return self.twin(flavour)


def serving_signature(saved_model_dir: Path):
    """The SavedModel's serving function with its single input's spec and its output key."""
    try:
        loaded = tf.saved_model.load(str(saved_model_dir))
    except (OSError, ValueError, tf.errors.OpError) as err:
        raise ExportError(f"{saved_model_dir}: cannot load SavedModel ({str(err).splitlines()[0]})") from None
    fn = loaded.signatures.get("serving_default")
    if fn is None:
        raise ExportError(f"{saved_model_dir}: no 'serving_default' signature")
    inputs = fn.structured_input_signature[1]
    if len(inputs) != 1 or len(fn.structured_outputs) != 1:
        raise ExportError(f"{saved_model_dir}: expected one input and one output, got {list(inputs)} -> {list(fn.structured_outputs)}")
    (name, spec), (output_key, out_spec) = next(iter(inputs.items())), next(iter(fn.structured_outputs.items()))
    io = {
        "inputs": [{"name": name, "shape": spec.shape.as_list(), "dtype": spec.dtype.name}],
        "outputs": [{"name": output_key, "shape": out_spec.shape.as_list(), "dtype": out_spec.dtype.name}],
    }
    return loaded, fn, io


def signature_reference(fn, io: dict) -> Callable[[np.ndarray], np.ndarray]:
    """Outputs of a SavedModel's own serving function: the reference every harness compares to."""
    (spec,), (out,) = io["inputs"], io["outputs"]

    def run(inputs):
        return fn(**{spec["name"]: tf.constant(inputs, dtype=spec["dtype"])})[out["name"]].numpy()
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
    golden_in = np.load(artifact / "golden_inputs.npy").astype(np.float32)
    labels_file, test_set = artifact / "golden_labels.npy", artifact / "test_set.npz"
    return Source(
        name=run["name"], kind=run["kind"], io=io, origin="artifact", reference=reference, golden_in=golden_in,
        golden_labels=np.load(labels_file) if labels_file.is_file() else None, saved_model=saved_model,
        twin=lambda flavour: build_twin(run["name"], saved_model, io["inputs"][0]["shape"][1:], flavour, reference, golden_in),
        evaluate=test_accuracy(test_set) if test_set.is_file() else None, counterpart=counterpart_name(artifact), run=run,
    )


def counterpart_name(folder: Path) -> str | None:
    """The folder's name when a server could find it by that name under an artifacts root, else None."""
    name = Path(folder).resolve().name
    return name if NAME.match(name) else None


def guess_kind(output_shape: list) -> str:
    """Classification for [batch, k≥2] outputs (argmax is meaningful), regression otherwise."""
    return "classification" if len(output_shape) == 2 and (output_shape[-1] or 0) >= 2 else "regression"


def golden_inputs_for(io: dict, golden_file: Path | None) -> np.ndarray:
    """The user's golden inputs (checked against the input spec), or seeded uniform [0, 1) ones."""
    (spec,) = io["inputs"]
    shape = spec["shape"][1:]
    if golden_file is not None:
        try:
            golden = np.load(golden_file, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ExportError(f"--golden-inputs {golden_file}: cannot read .npy ({err})") from None
        if golden.ndim != len(shape) + 1 or any(d is not None and d != g for d, g in zip(shape, golden.shape[1:])):
            raise ExportError(f"--golden-inputs {golden_file}: shape {list(golden.shape)} does not fit input {spec['shape']}")
        return golden.astype(np.float32)
    if None in shape:
        raise ExportError(f"input shape {spec['shape']} has free dimensions: pass --golden-inputs FILE.npy")
    return np.random.default_rng(GOLDEN_SEED).uniform(size=(GOLDEN_COUNT, *shape)).astype(np.float32)


def keras_io(model) -> dict:
    """Input/output spec of a single-input, single-output Keras model."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ExportError(f"{model.name}: expected one input and one output, got {len(model.inputs)} -> {len(model.outputs)}")
    spec = lambda t: {"name": t.name.split(":")[0], "shape": list(t.shape), "dtype": "float32"}  # noqa: E731
    return {"inputs": [spec(model.inputs[0])], "outputs": [{**spec(model.outputs[0]), "name": "output"}]}


def from_keras(model, name: str, golden_file: Path | None = None, kind: str | None = None, origin: str = "in_memory") -> Source:
    """An in-memory functional or sequential Keras model (Keras 3 or tf_keras)."""
    io = keras_io(model)
    golden_in = golden_inputs_for(io, golden_file)
    reference = lambda x: np.asarray(model(x, training=False))  # noqa: E731
    return Source(name=name, kind=kind or guess_kind(io["outputs"][0]["shape"]), io=io, origin=origin, reference=reference,
                  golden_in=golden_in, keras_model=model, run={"name": name})


def load_keras_file(path: Path):
    """A .keras (Keras 3, safe_mode on) or .h5 (Keras 3, else tf_keras) model file."""
    keras = quiet_import("keras")
    try:
        with filtered_native_output():
            return keras.saving.load_model(str(path), safe_mode=True, compile=False)
    except Exception as err:  # noqa: BLE001  (any load failure becomes the one-line error below)
        if path.suffix == ".h5":
            try:
                return quiet_import("tf_keras").models.load_model(str(path), compile=False)
            except Exception:  # noqa: BLE001
                pass
        raise ExportError(f"{path}: cannot load Keras model ({str(err).splitlines()[0]})") from None


def from_path(path: Path, golden_file: Path | None = None, kind: str | None = None) -> Source:
    """A user's model: an artifact folder, a SavedModel directory, or a .keras / .h5 file."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"no trained model at {path}: no such file or directory "
                          "(give an artifact name, a SavedModel directory, or a .keras / .h5 file)")
    if (path / "run.json").is_file():
        if golden_file is not None or kind is not None:
            # Silently ignoring them would export goldens or a kind the user did not ask for.
            raise ExportError(f"{path}: a training artifact brings its own golden inputs and kind; "
                              "--golden-inputs and --kind are for SavedModel directories and .keras / .h5 files")
        return from_artifact(path)
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ExportError(f"{path}: not a SavedModel directory (no saved_model.pb) nor a training artifact")
        _, fn, io = serving_signature(path)
        golden_in = golden_inputs_for(io, golden_file)
        return Source(name=path.name, kind=kind or guess_kind(io["outputs"][0]["shape"]), io=io, origin="saved_model",
                      reference=signature_reference(fn, io), golden_in=golden_in, saved_model=path,
                      counterpart=counterpart_name(path), run={"name": path.name})
    if path.suffix not in (".keras", ".h5"):
        raise ExportError(f"{path}: unsupported file type '{path.suffix}': give a SavedModel directory, a .keras or a .h5 file")
    model = load_keras_file(path)
    return from_keras(model, path.stem, golden_file, kind, origin=path.suffix.lstrip("."))
