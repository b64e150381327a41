"""Export: tensorflowjs graph model + metadata whose goldens are the SavedModel's own outputs."""

import hashlib
import json

import numpy as np
import pytest
import tensorflow as tf

from tfjs_bridge.export.convert import ExportError, export_artifact


def test_model_folder_layout(exported):
    for name in ("linear", "mlp"):
        folder = exported / name
        model = json.loads((folder / "model.json").read_text())
        meta = json.loads((folder / "metadata.json").read_text())
        assert model["format"] == "graph-model" and "TensorFlow.js Converter" in model["convertedBy"]
        assert meta["name"] == name and meta["format"] == "graph" and meta["weights_dtype"] == "float32"
        shards = [p for g in model["weightsManifest"] for p in g["paths"]]
        assert [f["path"] for f in meta["files"]] == shards
        for f in meta["files"]:
            blob = (folder / f["path"]).read_bytes()
            assert f["bytes"] == len(blob) and f["sha256"] == hashlib.sha256(blob).hexdigest()


def test_mlp_metadata_spec_and_goldens(exported, artifacts):
    meta = json.loads((exported / "mlp" / "metadata.json").read_text())
    assert meta["input"] == {"name": "image", "shape": [None, 28, 28], "dtype": "float32"}
    assert meta["output"]["shape"] == [None, 10]
    assert meta["labels"] == [str(d) for d in range(10)] and "0..1" in meta["preprocessing"]
    g = meta["golden"]
    assert g["count"] == 64 and g["input_shape"] == [64, 28, 28] and g["output_shape"] == [64, 10]
    inputs = np.asarray(g["inputs"], dtype=np.float32).reshape(g["input_shape"])
    np.testing.assert_array_equal(inputs, np.load(artifacts / "mlp" / "golden_inputs.npy"))
    # The goldens are exactly what the SavedModel's serving signature computes (float32 stored losslessly).
    fn = tf.saved_model.load(str(artifacts / "mlp" / "saved_model")).signatures["serving_default"]
    expected = fn(image=tf.constant(inputs))["output"].numpy()
    np.testing.assert_array_equal(np.asarray(g["outputs"], dtype=np.float32).reshape(64, 10), expected)
    assert g["labels"] == np.load(artifacts / "mlp" / "golden_labels.npy").tolist()
    assert meta["training"]["final"]["test_accuracy"] > 0.8


def test_linear_goldens_include_training_points(exported):
    meta = json.loads((exported / "linear" / "metadata.json").read_text())
    assert meta["kind"] == "regression" and meta["labels"] is None
    assert meta["golden"]["inputs"][:6] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
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
