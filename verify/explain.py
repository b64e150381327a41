"""`tfjs-bridge verify --explain`: the first graph node or layer where tf.js departs from TensorFlow on a failing golden.

TensorFlow's side is rebuilt from the model the folder was exported from: for graph folders, the frozen and
grappler-optimized graph the converter wrote into model.json (same node names, made by the converter's own
functions), run node by node; for layers folders, the Keras model with every layer's output exposed. tf.js's side
(verify/node/explain.js) picks the golden that fails worst, computes the same tensors and compares them in order.
"""

import contextlib
import json
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfjs_bridge.common.contract import FOLDER_NAME
from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.quiet import filtered_native_output, quiet_import, tf
from tfjs_bridge.export.convert import CONTROL_FLOW_OPS, quiet_converter, save_keras_as_saved_model
from tfjs_bridge.export.keras_bridge import keras_flavour
from tfjs_bridge.export.sources import Source, from_path
from tfjs_bridge.verify.node import harness

SOURCE_HELP = "pass --source PATH (the .keras, .h5 or SavedModel folder it was exported from) or --artifacts DIR"


def find_source(folder: Path, meta: dict, source: Path | None, artifacts: Path) -> Path:
    """The Python model to compare a folder with: --source, else its counterpart under the artifacts root."""
    if source is not None:
        if not source.exists():
            raise UserError(f"--source {source}: no such file or directory")
        return source
    name = meta.get("counterpart")
    if name and FOLDER_NAME.fullmatch(name):
        # A training artifact first (run.json: from_path also rebuilds its functional twin), then a bare SavedModel.
        for path in (artifacts / name, artifacts / name / "saved_model"):
            if (path / "run.json").is_file() or (path / "saved_model.pb").is_file():
                return path
    where = f"its counterpart {name!r} is not under {artifacts}/" if name else "it records no Python counterpart"
    raise UserError(f"{folder.name}: --explain needs the model it was exported from ({where}): {SOURCE_HELP}")


def row_inputs(goldens: dict, row: int, dtypes: dict) -> dict[str, np.ndarray]:
    """Golden row `row` of every input, as a batch of one in the dtype TensorFlow's side takes."""
    out = {}
    for name, t in goldens["inputs"].items():
        dtype = dtypes.get(name, np.float32)
        values = np.asarray(t["values"], dtype=object if dtype == np.object_ else dtype).reshape(t["shape"])
        out[name] = values[row:row + 1]
    return out


def topological(graph_def) -> list:
    """The GraphDef's nodes, each after its inputs (GraphDef order where that already holds)."""
    by_name = {n.name: n for n in graph_def.node}
    seen, order = set(), []

    def visit(node):
        stack = [(node, False)]
        while stack:
            n, done = stack.pop()
            if done:
                order.append(n)
                continue
            if n.name in seen:
                continue
            seen.add(n.name)
            stack.append((n, True))
            for ref in reversed(n.input):
                parent = by_name.get(ref.lstrip("^").split(":")[0])
                if parent is not None and parent.name not in seen:
                    stack.append((parent, False))
    for n in graph_def.node:
        visit(n)
    return order


@dataclass
class Entry:
    """One tensor TensorFlow computed: a node's or layer's output, or a weight (with where tf.js finds it)."""

    name: str
    op: str
    kind: str  # node | layer | weight | string (computed, not comparable)
    value: np.ndarray | None
    inputs: tuple = ()
    weights: tuple = ()
    layer: str | None = None
    index: int | None = None


class GraphSide:
    """TensorFlow's side of a graph folder: the converter's optimized frozen graph, run node by node."""

    def __init__(self, source: Source, model_json: dict):
        ops = {n.get("op") for n in model_json["modelTopology"].get("node", [])}
        for fn in model_json["modelTopology"].get("library", {}).get("function", []):
            ops |= {n.get("op") for n in fn.get("nodeDef", [])}
        with saved_model_of(source) as saved_model:
            self.graph_def, self.signature = converted_graph(saved_model, bool(ops & CONTROL_FLOW_OPS))

    def feeds(self, meta: dict) -> dict[str, str]:
        """Each metadata input's signature key: by name, or the one left over (Keras names unnamed inputs per process)."""
        keys = set(self.signature.inputs)
        names = [spec["name"] for spec in meta["inputs"]]
        spare_names, spare_keys = [n for n in names if n not in keys], sorted(keys - set(names))
        if len(spare_names) > 1 or len(spare_names) != len(spare_keys):
            raise UserError(f"the Python model's inputs {sorted(keys)} do not match the folder's {names} (check --source)")
        return {n: n if n in keys else spare_keys[0] for n in names}

    def dtypes(self, meta: dict) -> dict:
        """NumPy dtype of each input, by metadata name."""
        return {n: tf.as_dtype(self.signature.inputs[k].dtype).as_numpy_dtype for n, k in self.feeds(meta).items()}

    def values(self, inputs: dict, meta: dict) -> tuple[list[Entry], list[np.ndarray]]:
        """Every node's first output (topological order) and the signature outputs, for one batch of inputs."""
        graph = tf.Graph()
        with graph.as_default():
            tf.graph_util.import_graph_def(self.graph_def, name="")
        nodes = [n for n in topological(self.graph_def)
                 if n.op not in ("Placeholder", "NoOp") and graph.get_operation_by_name(n.name).outputs]
        consts = {n.name for n in self.graph_def.node if n.op == "Const"}
        outputs = [self.signature.outputs[o["name"]].name for o in meta["outputs"]]
        feed = {self.signature.inputs[self.feeds(meta)[n]].name: v for n, v in inputs.items()}
        with filtered_native_output(), tf.compat.v1.Session(graph=graph) as session:
            fetched = session.run([f"{n.name}:0" for n in nodes] + outputs, feed)
        entries = []
        for node, value in zip(nodes, fetched):
            data = [ref.split(":")[0] for ref in node.input if not ref.startswith("^")]
            entries.append(Entry(node.name, node.op, "weight" if node.op == "Const" else "node", value,
                                 inputs=tuple(d for d in data if d not in consts), weights=tuple(d for d in data if d in consts)))
        return entries, fetched[len(nodes):]


class LayersSide:
    """TensorFlow's side of a layers folder: the Keras model with every layer's output (and weights) exposed."""

    def __init__(self, source: Source, meta: dict):
        self.model = source.layers_model(meta["source"].get("keras") or "keras3")

    def dtypes(self, meta: dict) -> dict:
        """Layers models take float32 inputs (the layers bridge carries nothing else)."""
        return {}

    def values(self, inputs: dict, meta: dict) -> tuple[list[Entry], list[np.ndarray]]:
        """Each layer's weights and output (the model's layer order is topological) and the model's outputs."""
        keras = quiet_import("keras" if keras_flavour(self.model) == "keras3" else "tf_keras")
        given = [inputs[spec["name"]] for spec in meta["inputs"]]
        try:
            structure = self.model.input
        except AttributeError:  # a Keras 3 Sequential model: one input, listed only in .inputs
            (structure,) = self.model.inputs
        # In the structure the model declares (one tensor or a list): Keras 3 warns about any other.
        xs = tf.nest.pack_sequence_as(structure, given)
        layers = [layer for layer in self.model.layers if type(layer).__name__ != "InputLayer" and single_output(layer)]
        probe = keras.Model(structure, [layer.output for layer in layers])
        outputs = [np.asarray(y) for y in tf.nest.flatten(probe(xs, training=False))]
        entries = []
        for layer, value in zip(layers, outputs):
            named = [f"{layer.name}/{w.name.split('/')[-1].split(':')[0]}" for w in layer.weights]
            for i, (name, w) in enumerate(zip(named, layer.get_weights())):
                entries.append(Entry(name, "weight", "weight", w, layer=layer.name, index=i))
            inbound = [t._keras_history[0].name for t in tf.nest.flatten(layer.input)]
            entries.append(Entry(layer.name, type(layer).__name__, "layer", value, inputs=tuple(inbound), weights=tuple(named)))
        finals = [np.asarray(y) for y in tf.nest.flatten(self.model(xs, training=False))]
        return entries, finals


def single_output(layer) -> bool:
    """Whether a layer has one output tensor to compare (a layer called more than once has none)."""
    try:
        return len(tf.nest.flatten(layer.output)) == 1
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def saved_model_of(source: Source) -> Iterator[Path]:
    """The SavedModel the exporter converts for a source: its own, or one saved from its Keras model as export does."""
    if source.saved_model is not None:
        yield source.saved_model
        return
    model = source.keras_model if source.keras_model is not None else source.layers_model()
    with tempfile.TemporaryDirectory() as tmp:
        save_keras_as_saved_model(model, source.io, Path(tmp) / "saved_model")
        yield Path(tmp) / "saved_model"


def converted_graph(saved_model: Path, control_flow_v2: bool):
    """The graph the converter writes to model.json: frozen, then optimized, by tensorflowjs's own functions."""
    converter = quiet_import("tensorflowjs.converters.tf_saved_model_conversion_v2")
    # The steps of tf_saved_model_conversion_v2._convert_tf_saved_model up to optimize_graph (tensorflowjs 4.22),
    # with the signature and tags the exporter passes.
    with quiet_converter():
        signature_def = converter._find_signature(str(saved_model), "serve", "serving_default")
        loaded = converter._load_model(str(saved_model), ["serve"])
        fn = loaded.signatures["serving_default"]
        frozen = converter._freeze_saved_model_v2(fn, control_flow_v2)
        signature = converter._build_signature_def(frozen, fn.inputs, fn.outputs, signature_def)
        return converter.optimize_graph(frozen, signature), signature


def write_expected(entries: list[Entry], outputs: list[np.ndarray], meta: dict, folder: Path) -> Path:
    """TensorFlow's values as explain.js reads them: an index JSON and one float64 data file beside it."""
    chunks, offset = [], 0

    def place(value: np.ndarray) -> dict:
        nonlocal offset
        flat = np.asarray(value, dtype=np.float64).ravel()
        chunks.append(flat)
        offset += flat.size
        return {"shape": list(np.shape(value)), "offset": offset - flat.size, "length": flat.size}

    index = {"data": "expected.bin", "entries": [], "outputs": []}
    for e in entries:
        record = {"name": e.name, "op": e.op, "kind": e.kind, "inputs": list(e.inputs), "weights": list(e.weights)}
        if e.layer is not None:
            record.update(layer=e.layer, index=e.index)
        if np.asarray(e.value).dtype.kind not in "biuf":
            record["kind"] = "string"  # tf.js compares strings by equality; its diagnosis is for numbers
        else:
            record.update(place(e.value))
        index["entries"].append(record)
    for spec, value in zip(meta["outputs"], outputs):
        index["outputs"].append({"name": spec["name"], **place(value)})
    np.concatenate(chunks or [np.zeros(0)]).astype("<f8").tofile(folder / index["data"])
    (folder / "expected.json").write_text(json.dumps(index))
    return folder / "expected.json"


class Explainer:
    """Explanations of a verify run's failures; TensorFlow's side of each folder is built once."""

    def __init__(self, source: Path | None, artifacts: Path):
        self.source, self.artifacts = source, artifacts
        self.sides: dict[Path, GraphSide | LayersSide] = {}

    def side(self, folder: Path, meta: dict):
        """TensorFlow's side of a folder (built on first use)."""
        if folder not in self.sides:
            source = from_path(find_source(folder, meta, self.source, self.artifacts))
            model_json = json.loads((folder / "model.json").read_text())
            self.sides[folder] = LayersSide(source, meta) if meta["format"] == "layers" else GraphSide(source, model_json)
        return self.sides[folder]

    def explain(self, folder: Path, backend: str, always: bool = False) -> dict:
        """The first departure on the worst golden of folder on a tf.js backend: explain.js's report, with `worst`.

        A folder whose goldens all pass is compared only when `always` (to measure how close its tensors come).
        """
        node, script = harness()
        meta = json.loads((folder / "metadata.json").read_text())
        with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "stderr", "w+") as stderr:
            command = [node, str(script.parent / "node" / "explain.js"), str(folder), "--backend", backend]
            with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True) as proc:
                try:
                    worst = json.loads(proc.stdout.readline() or "null")
                    if worst is None or (worst["pass"] and not always):
                        return {"worst": worst}
                    goldens = json.loads((folder / meta["goldens"]["path"]).read_text())
                    try:
                        side = self.side(folder, meta)
                        entries, outputs = side.values(row_inputs(goldens, worst["row"], side.dtypes(meta)), meta)
                    except (tf.errors.OpError, ValueError, KeyError) as err:
                        # A source that cannot stand in for the folder (other inputs, other graph): one line, not a trace.
                        raise UserError(f"{folder.name}: cannot compute TensorFlow's tensors from the source "
                                        f"({str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__})") from None
                    expected = write_expected(entries, outputs, meta, Path(tmp))
                    proc.stdin.write(json.dumps({"expected": str(expected)}) + "\n")
                    proc.stdin.flush()
                    report = json.loads(proc.stdout.readline() or "null")
                finally:
                    proc.stdin.close()
                    proc.wait()
                    stderr.seek(0)
                    said = [line for line in stderr.read().splitlines() if line.startswith("error: ")]
                if worst is None or report is None:
                    raise UserError(f"{folder.name} on {backend}: " + (said[-1].removeprefix("error: ") if said else
                                                                       "tf.js side of --explain gave no report"))
        return {**report, "worst": worst}


def explain_row(explainer: Explainer, folder: Path, row: dict) -> dict:
    """The explanation of one failing row of a verify report: {folder, backend, lines, report}."""
    head = {"folder": row["folder"], "backend": row["backend"]}
    if row.get("error"):
        return {**head, "lines": [f"explain {row['folder']} on {row['backend']}: nothing to compare, the check failed "
                                  f"before parity ({row['error']})"], "report": None}
    if row.get("runtime") == "litert":  # the explainer walks tf.js's graph node by node; model.tflite has no such view
        return {**head, "lines": [f"explain {row['folder']} on {row['backend']}: LiteRT.js rows are not explained node by "
                                  "node (only tf.js's graph is); compare its tf.js rows, or export the model again"],
                "report": None}
    report = explainer.explain(folder, row["backend"])
    return {**head, "lines": describe(row["folder"], row["backend"], report), "report": report}


def number(x) -> str:
    """A value as the report shows it: 5 significant digits."""
    return f"{x:.5g}" if isinstance(x, (int, float)) else str(x)


def values_line(values: list) -> str:
    """A few values of a tensor, comma-separated."""
    return "[" + ", ".join(number(v) for v in values) + ", …]"


def describe(folder: str, backend: str, report: dict) -> list[str]:
    """The explanation of one failing check as a few readable lines."""
    worst = report["worst"]
    head = f"explain {folder} on {backend}:"
    if worst is None:
        return [f"{head} not a parity failure (the folder did not load; see the table)"]
    failing = [o for o in worst["outputs"] if not o["pass"]] or worst["outputs"]
    if worst["pass"]:
        return [f"{head} every golden agrees within tolerance; the check failed for another reason (see the table)"]
    what = ", ".join(f"'{o['name']}' max |Δ| {o['maxAbsDiff']:.2e} > {o['tolerance']:.1e}" for o in failing)
    lines = [f"{head} golden {worst['row']} of {worst['rows']} fails worst ({what})"]
    off = [s for s in report["source"] if not s["agrees"]]
    if off:
        lines.append(f"  the Python model's own output '{off[0]['name']}' differs from the goldens by {off[0]['maxAbsDiff']:.2e}: "
                     "it is not the model this folder was exported from (check --source / --artifacts)")
        return lines
    unit = "layer" if report["format"] == "layers" else "node"
    first = report["first"]
    if first is None:
        lines.append(f"  all {report['compared']} {unit}s agree within tolerance on this golden; only the final outputs depart")
        return lines
    before = report["agreedBefore"]
    lines.append(f"  first departing {unit}: {first['name']} ({first['op']}), "
                 + (f"the first {unit} compared" if before == 0 else f"{before} {unit}s before it agree" if before > 1 else f"the {unit} before it agrees"))
    if first["at"] is None:
        lines.append(f"    shape {first['shape']} in tf.js, {first['expectedShape']} in TensorFlow")
    else:
        at = ", ".join(map(str, first["at"]))
        lines.append(f"    max |Δ| {first['maxAbsDiff']:.3e} > tolerance {first['tolerance']:.1e} at [{at}]: "
                     f"tf.js {number(first['actualAt'])}, TensorFlow {number(first['expectedAt'])}")
        lines.append(f"    tf.js      {values_line(first['actual'])}")
        lines.append(f"    TensorFlow {values_line(first['expected'])}")
    lines.append("    " + "; ".join(filter(None, (judge("inputs", first["inputs"]), judge("weights", first["weights"])))))
    if report["missing"]:
        lines.append(f"  ({len(report['missing'])} TensorFlow tensors have no tf.js counterpart and were skipped)")
    return lines


def judge(noun: str, items: list[dict]) -> str:
    """One clause about a departing node's inputs or weights: that they agree, or which differ and by how much.

    Inputs tf.js has no counterpart for are the model's own inputs, the golden itself: they agree by construction.
    """
    if not items:
        return ""
    differ = [i for i in items if i.get("departs")]
    if not differ:
        return f"its {noun} agree"
    return f"its {noun} differ: " + ", ".join(f"{i['name']} (max |Δ| {i['maxAbsDiff']:.2e})" for i in differ)
