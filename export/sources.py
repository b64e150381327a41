"""What can be exported: the project's training artifacts, and users' SavedModels, .keras and .h5 files."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfjs_bridge.common.contract import FOLDER_NAME
from tfjs_bridge.export.errors import ExportError, UnsupportedModelError
from tfjs_bridge.export.goldens import golden_hints, golden_inputs_for
from tfjs_bridge.export.keras_bridge import is_graph_network
from tfjs_bridge.export.keras_files import import_custom_objects, load_keras_file
from tfjs_bridge.export.tensors import guess_kind, keras_io, keras_outputs, serving_signature, signature_reference


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
    return name if FOLDER_NAME.fullmatch(name) else None


def from_keras(model, name: str, golden_file: Path | None = None, kind: str | None = None, origin: str = "in_memory") -> Source:
    """An in-memory functional or sequential Keras model (Keras 3 or tf_keras), any number of inputs and outputs."""
    io = keras_io(model)
    golden_in = golden_inputs_for(io, golden_file, golden_hints(model, io))
    reference = lambda named: keras_outputs(model, io, named)  # noqa: E731
    return Source(name=name, kind=kind or guess_kind(io["outputs"][0]), io=io, origin=origin, reference=reference,
                  golden_in=golden_in, keras_model=model, run={"name": name})


def from_saved_model(path: Path, golden_file: Path | None, kind: str | None, signature: str, tags) -> Source:
    """A SavedModel directory, through one of its signatures."""
    _, fn, io = serving_signature(path, signature, tags)
    golden_in = golden_inputs_for(io, golden_file)
    name = path.name if signature == "serving_default" else f"{path.name}-{signature}"
    return Source(name=name, kind=kind or guess_kind(io["outputs"][0]), io=io, origin="saved_model",
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
