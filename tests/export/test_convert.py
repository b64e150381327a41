"""Export: tensorflowjs graph model + metadata whose goldens are the SavedModel's own outputs."""

import hashlib
import json

import numpy as np
import pytest
import tensorflow as tf

from tests.support.helpers import golden_arrays, read_json
from tfjs_bridge.common import schema
from tfjs_bridge.export.convert import ExportError, export_artifact


def test_model_folder_layout(exported):
    for name in ("linear", "mlp"):
        folder = exported / name
        model = json.loads((folder / "model.json").read_text())
        meta = json.loads((folder / "metadata.json").read_text())
        assert model["format"] == "graph-model" and "TensorFlow.js Converter" in model["convertedBy"]
        assert meta["schema"] == "3.1" and meta["name"] == name and meta["format"] == "graph"
        assert meta["quantization"] is None and meta["bytes"]["on_disk"] == meta["bytes"]["float32"]
        assert meta["source"] == {"type": "artifact", "name": name, "keras": None} and meta["counterpart"] == name
        shards = [p for g in model["weightsManifest"] for p in g["paths"]]
        assert [f["path"] for f in meta["files"]] == shards
        # goldens.json is sealed like a shard: its length and sha256 are in metadata.json.
        for f in [*meta["files"], meta["goldens"]]:
            blob = (folder / f["path"]).read_bytes()
            assert f["bytes"] == len(blob) and f["sha256"] == hashlib.sha256(blob).hexdigest()
        assert sorted(p.name for p in folder.iterdir()) == sorted([".tfjs-bridge", "model.json", "metadata.json", "goldens.json", *shards])
        schema.validate(meta)
        schema.validate(read_json(folder / "goldens.json"), schema.GOLDENS)


def test_mlp_metadata_spec_and_goldens(exported, artifacts):
    meta = read_json(exported / "mlp" / "metadata.json")
    assert meta["inputs"] == [{"name": "image", "shape": [None, 28, 28], "dtype": "float32"}]
    assert meta["outputs"] == [{"name": "output", "shape": [None, 10], "dtype": "float32"}]
    assert meta["labels"] == [str(d) for d in range(10)] and "0..1" in meta["preprocessing"]
    g = read_json(exported / "mlp" / "goldens.json")
    assert g["schema"] == "3.1" and g["count"] == meta["goldens"]["count"] == 64
    assert g["inputs"]["image"]["shape"] == [64, 28, 28] and g["outputs"]["output"]["shape"] == [64, 10]
    assert g["inputs"]["image"]["dtype"] == g["outputs"]["output"]["dtype"] == "float32"
    inputs, outputs = golden_arrays(exported / "mlp")
    np.testing.assert_array_equal(inputs, np.load(artifacts / "mlp" / "golden_inputs.npy"))
    # The goldens are exactly what the SavedModel's serving signature computes (float32 stored losslessly).
    fn = tf.saved_model.load(str(artifacts / "mlp" / "saved_model")).signatures["serving_default"]
    expected = fn(image=tf.constant(inputs))["output"].numpy()
    np.testing.assert_array_equal(outputs, expected)
    labels = np.load(artifacts / "mlp" / "golden_labels.npy")
    assert g["labels"] == labels.tolist()
    assert g["python_accuracy"] == np.mean(expected.argmax(1) == labels)
    assert meta["training"]["final"]["test_accuracy"] > 0.8


def test_linear_goldens_include_training_points(exported):
    meta = read_json(exported / "linear" / "metadata.json")
    assert meta["kind"] == "regression" and meta["labels"] is None
    goldens = read_json(exported / "linear" / "goldens.json")
    assert goldens["inputs"]["x"]["values"][:6] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert "labels" not in goldens and "python_accuracy" not in goldens  # a regression has no classes to score
    assert meta["training"]["training_data"]["y"] == [[10.0], [20.0]]


def test_missing_artifact_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="no trained model .* run `python -m train mlp` first"):
        export_artifact(tmp_path / "mlp", tmp_path / "out")
    assert not (tmp_path / "out" / "mlp").exists()


def test_failed_export_keeps_previous_model(exported, artifacts, tmp_path, monkeypatch):
    import tfjs_bridge.export.convert as convert

    before = (exported / "mlp" / "metadata.json").read_bytes()

    def broken(saved_model_dir, out_dir, *options):
        (out_dir / "model.json").write_text("{half")
        raise RuntimeError("converter crashed")

    monkeypatch.setattr(convert, "convert_graph", broken)
    with pytest.raises(RuntimeError):
        export_artifact(artifacts / "mlp", exported)
    assert (exported / "mlp" / "metadata.json").read_bytes() == before
    assert json.loads((exported / "mlp" / "model.json").read_text())["format"] == "graph-model"
    assert sorted(p.name for p in exported.iterdir()) == ["linear", "mlp"]
