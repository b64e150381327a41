"""The model-folder contract 3.0 on the Python side: the validator, the web store's refusals, the counterpart.

verify/js/schema.js checks the same documents for Node and the browser (tests/js/schema.test.js).
"""

import copy
import json
import shutil
import subprocess
import sys

import pytest

from tests.support.helpers import edit_json, read_json, write_json
from tfjs_bridge.common import schema
from tfjs_bridge.common.paths import CHECKOUT
from tfjs_bridge.web import create_app, store


@pytest.fixture(scope="module")
def documents(exported):
    """A real export's metadata.json and goldens.json (the mlp: a classifier with labels)."""
    return read_json(exported / "mlp" / "metadata.json"), read_json(exported / "mlp" / "goldens.json")


def refusal(doc, file: str = schema.METADATA) -> str:
    """The one-line message validate() refuses doc with."""
    with pytest.raises(schema.SchemaError) as err:
        schema.validate(doc, file)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{file}: "), message
    return message


def test_a_real_export_is_valid(exported):
    for name in ("linear", "mlp"):
        schema.validate(read_json(exported / name / "metadata.json"))
        schema.validate(read_json(exported / name / "goldens.json"), schema.GOLDENS)


def test_minor_versions_are_read(documents):
    meta, goldens = (copy.deepcopy(d) for d in documents)
    meta["schema"] = goldens["schema"] = "3.7"
    schema.validate(meta)
    schema.validate(goldens, schema.GOLDENS)


@pytest.mark.parametrize("version, shown", [(2, "2"), ("2.0", '"2.0"'), ("4.0", '"4.0"'), ("3", '"3"'), (None, "missing")])
@pytest.mark.parametrize("file", [schema.METADATA, schema.GOLDENS])
def test_other_major_versions_are_refused_naming_file_and_version(documents, file, version, shown):
    doc = copy.deepcopy(documents[file == schema.GOLDENS])
    if version is None:
        del doc["schema"]
    else:
        doc["schema"] = version
    assert refusal(doc, file) == (f"{file}: schema version {shown} is not supported (this tfjs-bridge reads 3.x): "
                                  "re-export the model with this version")


def test_a_document_that_is_not_an_object_is_refused():
    assert "schema version missing is not supported" in refusal([{"schema": "3.0"}])


def set_path(doc: dict, path: tuple, value) -> None:
    """Set doc[path[0]][path[1]]...; a value of DELETE removes the key."""
    *parents, last = path
    for key in parents:
        doc = doc[key]
    if value is DELETE:
        del doc[last]
    else:
        doc[last] = value


DELETE = object()

METADATA_BREAKS = [
    (("format",), "savedmodel", 'format: "savedmodel" is not one of "graph", "layers"'),
    (("kind",), None, 'kind: null is not one of "classification", "regression"'),
    (("bytes", "on_disk"), "318056", 'bytes.on_disk: expected integer, got "318056"'),
    (("bytes", "on_disk"), True, "bytes.on_disk: expected integer, got true"),
    (("bytes", "ratio"), 1.0, "bytes.ratio: unexpected field"),  # a schema 2 field
    (("inputs", 0, "shape", 1), "28", 'inputs[0].shape[1]: "28" fits none of the allowed forms'),
    (("inputs", 0, "dtype"), "float64", 'inputs[0].dtype: "float64" is not one of'),
    (("outputs",), [], "outputs: 0 items is out of bounds"),
    (("outputs", 0, "name"), 7, "outputs[0].name: expected string, got 7"),
    (("files",), {}, "files: expected array, got dict"),
    (("files", 0, "sha256"), "ABC", 'files[0].sha256: "ABC" does not match'),
    (("files", 0, "path"), "../model.json", 'files[0].path: "../model.json" does not match'),
    (("goldens", "count"), 0, "goldens.count: 0 is out of bounds"),
    (("goldens", "path"), "other.json", 'goldens.path: must be "goldens.json"'),
    (("quantization",), "uint8", 'quantization: "uint8" fits none of the allowed forms'),  # schema 2's form
    (("source",), "artifact artifacts/mlp", 'source: expected object, got "artifact artifacts/mlp"'),
    (("source", "type"), "zip", 'source.type: "zip" is not one of'),
    (("labels",), [0, 1], "labels: list fits none of the allowed forms"),
    (("name",), "../mlp", 'name: "../mlp" does not match'),
    (("counterpart",), DELETE, '(top): missing "counterpart"'),
    (("training",), [], "training: expected object or null, got list"),
    (("compat",), [], "compat: 0 items is out of bounds"),  # absent when no rule ran, never empty
    (("compat",), [{"rule": "erfc", "count": 0}], "compat[0].count: 0 is out of bounds"),
    (("compat",), [{"rule": "Erfc", "count": 1}], 'compat[0].rule: "Erfc" does not match'),
]


@pytest.mark.parametrize("path, value, message", METADATA_BREAKS, ids=[".".join(map(str, p)) for p, _, _ in METADATA_BREAKS])
def test_wrong_metadata_fields_are_named_by_json_path(documents, path, value, message):
    meta = copy.deepcopy(documents[0])
    set_path(meta, path, value)
    assert refusal(meta).startswith(f"metadata.json: {message}")


GOLDENS_BREAKS = [
    (("count",), "64", 'count: expected integer, got "64"'),
    (("inputs", "image", "shape"), "64,28,28", 'inputs.image.shape: expected array, got "64,28,28"'),
    (("inputs", "image", "shape", 0), -1, "inputs.image.shape[0]: -1 is out of bounds"),
    (("outputs", "output", "dtype"), "float64", 'outputs.output.dtype: "float64" is not one of'),
    (("outputs", "output", "values"), None, "outputs.output.values: expected array, got null"),
    (("labels", 3), 0.5, "labels[3]: expected integer, got 0.5"),
    (("python_accuracy",), "98%", 'python_accuracy: expected number, got "98%"'),
    (("golden",), [], "golden: unexpected field"),
]


@pytest.mark.parametrize("path, value, message", GOLDENS_BREAKS, ids=[".".join(map(str, p)) for p, _, _ in GOLDENS_BREAKS])
def test_wrong_goldens_fields_are_named_by_json_path(documents, path, value, message):
    goldens = copy.deepcopy(documents[1])
    set_path(goldens, path, value)
    assert refusal(goldens, schema.GOLDENS).startswith(f"goldens.json: {message}")


def as_schema_2(meta: dict) -> dict:
    """A schema 3 metadata.json rewritten the way schema 2 laid it out (single input/output, embedded goldens)."""
    old = {k: v for k, v in meta.items() if k not in ("inputs", "outputs", "goldens", "counterpart", "source")}
    return {**old, "schema": 2, "input": meta["inputs"][0], "output": meta["outputs"][0], "weights_dtype": "float32",
            "source": f"artifact artifacts/{meta['name']}", "saved_model": f"artifacts/{meta['name']}/saved_model",
            "golden": {"count": meta["goldens"]["count"], "inputs": [], "outputs": []}}


@pytest.fixture
def served(exported, artifacts, tmp_path):
    """A models folder holding a good linear export, served with the quick-trained artifacts; (folder, client)."""
    shutil.copytree(exported / "linear", tmp_path / "linear")
    app = create_app({"TESTING": True, "MODELS_DIR": tmp_path, "ARTIFACTS_DIR": artifacts})
    return tmp_path, app.test_client()


def refused_by_the_store(client, folder: str) -> str:
    """The store's 503 message for a model folder: from /api/predict and, the same, from /api/models."""
    answer = client.post(f"/api/predict/{folder}", json={"inputs": [1, 2, 3]})
    assert answer.status_code == 503, answer.get_json()
    message = answer.get_json()["error"]
    listed = {m["name"]: m for m in client.get("/api/models").get_json()["models"]}
    assert listed[folder]["error"] == message and "\n" not in message
    assert "error" not in listed["linear"]  # the good folder beside it still serves
    return message


def test_store_refuses_a_schema_2_folder_with_503(served, exported):
    root, client = served
    shutil.copytree(exported / "linear", root / "old")
    write_json(root / "old" / "metadata.json", as_schema_2(read_json(root / "old" / "metadata.json")))
    assert refused_by_the_store(client, "old") == (
        "model old refused: old/metadata.json: schema version 2 is not supported (this tfjs-bridge reads 3.x): "
        "re-export the model with this version")


def test_store_refuses_a_wrongly_typed_metadata_with_503(served, exported):
    root, client = served
    shutil.copytree(exported / "linear", root / "typed")
    edit_json(root / "typed" / "metadata.json", lambda meta: meta["inputs"][0].update(shape=[None, "3"]))
    assert refused_by_the_store(client, "typed") == (
        'model typed refused: typed/metadata.json: inputs[0].shape[1]: "3" fits none of the allowed forms')


def test_store_refuses_a_tampered_goldens_json_with_503(served, exported):
    """Goldens are what tf.js is judged against: edited after export, the folder must not serve."""
    root, client = served
    shutil.copytree(exported / "linear", root / "tampered")
    goldens = root / "tampered" / "goldens.json"
    text = goldens.read_text()
    # Same length, one expected value changed: only the sha256 can tell.
    goldens.write_text(text.replace('"values": [', '"values": [9', 1).replace(", ", ",", 1))
    assert len(goldens.read_bytes()) == len(text.encode())
    assert refused_by_the_store(client, "tampered") == (
        "model tampered refused: tampered/goldens.json: sha256 mismatch, the goldens file's bytes were altered")
    shutil.copytree(exported / "linear", root / "cut")
    (root / "cut" / "goldens.json").write_text(text[:-10])
    assert refused_by_the_store(client, "cut").startswith(
        f"model cut refused: cut/goldens.json: {len(text) - 10} bytes, metadata says {len(text)}")
    shutil.copytree(exported / "linear", root / "gone")
    (root / "gone" / "goldens.json").unlink()
    assert refused_by_the_store(client, "gone").startswith("model gone refused: gone/goldens.json: goldens file missing")


@pytest.fixture
def outside_saved_model(artifacts, tmp_path):
    """An artifacts root, and a real SavedModel right beside it (outside it) at ../x; returns the root."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(artifacts / "linear" / "saved_model", tmp_path / "x" / "saved_model")
    return root


@pytest.mark.parametrize("counterpart", ["../x", "/etc", "/", "..", ".", "x/../x", "x/saved_model", ""])
def test_counterparts_that_are_paths_are_refused_by_the_schema(documents, counterpart):
    meta = copy.deepcopy(documents[0])
    meta["counterpart"] = counterpart
    assert refusal(meta).startswith("metadata.json: counterpart: ")


@pytest.mark.parametrize("counterpart", ["../x", "/etc", "..", "x/saved_model", f"{'../' * 8}tmp"])
def test_the_store_never_loads_a_counterpart_outside_the_artifacts_root(exported, outside_saved_model, monkeypatch, counterpart):
    from tfjs_bridge.common.quiet import tf

    loads = []
    monkeypatch.setattr(tf.saved_model, "load", lambda *a, **k: loads.append(a) or pytest.fail("loaded"))
    meta = {**read_json(exported / "linear" / "metadata.json"), "counterpart": counterpart}
    s = store.Store(exported, outside_saved_model)
    # Even past the schema (a reader that skipped it), the name is checked again before any path is built.
    assert s.saved_model_dir(meta) is None
    with pytest.raises(store.ModelError, match="no Python model for linear") as err:
        s.serving_fn("linear", meta)
    assert err.value.status == 404 and loads == []


def test_a_counterpart_is_found_by_name_inside_the_root(exported, outside_saved_model):
    """Positive control for the test above: the same SavedModel, named from inside the root, is found and loaded."""
    meta = {**read_json(exported / "linear" / "metadata.json"), "counterpart": "x"}
    assert store.Store(exported, outside_saved_model).saved_model_dir(meta) is None
    parent = outside_saved_model.parent
    assert store.Store(exported, parent).saved_model_dir(meta) == parent / "x" / "saved_model"
    assert store.Store(exported, parent).serving_fn("linear", meta) is not None


def test_a_path_counterpart_in_a_served_folder_is_503_never_loaded(served, exported, monkeypatch):
    from tfjs_bridge.common.quiet import tf

    monkeypatch.setattr(tf.saved_model, "load", lambda *a, **k: pytest.fail("a SavedModel was loaded"))
    root, client = served
    shutil.copytree(exported / "linear", root / "escape")
    edit_json(root / "escape" / "metadata.json", lambda meta: meta.update(counterpart="../linear"))
    assert refused_by_the_store(client, "escape").startswith(
        'model escape refused: escape/metadata.json: counterpart: "../linear" fits none of the allowed forms')


# Argument handling must answer before TensorFlow is imported: --help and mistakes are instant.
NO_TENSORFLOW = """
import json, sys
import tfjs_bridge.cli
codes = {}
for argv in %s:
    try:
        codes[" ".join(argv)] = tfjs_bridge.cli.main(argv)
    except SystemExit as done:
        codes[" ".join(argv)] = done.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "tensorflowjs"))
print(json.dumps({"codes": codes, "heavy": heavy}))
"""
ARGVS = [["export", "--help"], ["export", "mlp", "--shard-size", "0"], ["export", "/nonexistent/model"],
         ["train", "--help"], ["train", "mlp", "--epochs", "0"], ["verify", "--backends", "gpu"], ["serve", "--help"]]


def test_help_and_argument_errors_do_not_import_tensorflow(tmp_path):
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW % json.dumps(ARGVS)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={"PYTHONPATH": str(CHECKOUT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["codes"] == {" ".join(a): (0 if "--help" in a else 2) for a in ARGVS}
    assert report["heavy"] == []
