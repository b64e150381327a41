"""A metadata.json that disagrees with its SavedModel (inputs, outputs, dtypes, shapes, counterpart, or a SavedModel
retrained and not re-exported) answers 4xx/503 JSON naming the field, never a 500; counterparts are cached by content,
so a same-mtime replacement is noticed (issue 20, items 4 and 6)."""

import dataclasses
import os
import shutil

import numpy as np
import pytest

from tests.support.helpers import edited_copy, read_json, shift_first_output
from tfjs_bridge.web import create_app


def rename_input(meta):
    meta["inputs"][0]["name"] = "pixels"


def retype_input(meta):
    meta["inputs"][0]["dtype"] = "int32"


def reshape_input(meta):
    meta["inputs"][0]["shape"] = [None, 28, 27]


def free_input(meta):
    meta["inputs"][0]["shape"] = [None, None, 28]


def rename_output(meta):
    meta["outputs"][0]["name"] = "logits"


def retype_output(meta):
    meta["outputs"][0]["dtype"] = "int32"


def other_counterpart(meta):
    meta["counterpart"] = "linear"


VARIANTS = {  # folder → (metadata edit, goldens edit, what the message must name)
    # A renamed input no longer matches model.json either: the folder's own integrity check names it first.
    "input-name": (rename_input, None, "input 'pixels' is not an input of model.json"),
    "input-dtype": (retype_input, None, "input 'image' dtype int32 but the SavedModel's is float32"),
    "input-shape": (reshape_input, None, "input 'image' shape [None, 28, 27] but the SavedModel's is [None, 28, 28]"),
    "input-free-size": (free_input, None, "leaves a size free that the SavedModel fixes"),
    "output-name": (rename_output, None, "output 'logits' is not among the SavedModel's outputs ['output']"),
    "output-dtype": (retype_output, None, "output 'output' dtype int32 but the SavedModel's is float32"),
    "counterpart": (other_counterpart, None, "inputs ['image'] but the SavedModel takes ['x']"),
    "goldens": (None, shift_first_output(0.5), "differs from goldens.json for the golden examples (max |diff| 0.5)"),
}


@pytest.fixture(scope="module")
def variants(exported, tmp_path_factory):
    root = tmp_path_factory.mktemp("mismatched")
    for name, (meta_edit, golden_edit, _) in VARIANTS.items():
        edited_copy(exported / "mlp", root / name, goldens=golden_edit, metadata=meta_edit)
    return root


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_disagreeing_metadata_is_json_naming_the_field(variants, artifacts, variant):
    client = create_app({"TESTING": True, "MODELS_DIR": variants, "ARTIFACTS_DIR": artifacts}).test_client()
    spec = read_json(variants / variant / "metadata.json")["inputs"][0]  # inputs that fit what metadata.json says
    x = np.zeros([1, *(28 if d is None else d for d in spec["shape"][1:])], dtype=spec["dtype"])
    response = client.post(f"/api/predict/{variant}", json={"inputs": x.tolist()})
    body = response.get_json()
    assert response.status_code in (400, 422, 503) and body["status"] == response.status_code, body
    assert VARIANTS[variant][2] in body["error"], body["error"]


def test_a_retrained_savedmodel_not_re_exported_is_refused(exported, artifacts, tmp_path):
    """A real retraining (another seed) into the artifact the export came from, with its mtime put back."""
    from tfjs_bridge.train import config
    from tfjs_bridge.train.run import train_and_save

    shutil.copytree(artifacts / "linear", tmp_path / "artifacts" / "linear")
    shutil.copytree(exported / "linear", tmp_path / "models" / "linear")
    app = create_app({"TESTING": True, "MODELS_DIR": tmp_path / "models", "ARTIFACTS_DIR": tmp_path / "artifacts"})
    client = app.test_client()
    assert client.post("/api/predict/linear", json={"inputs": [1, 2, 3]}).status_code == 200
    pb = tmp_path / "artifacts" / "linear" / "saved_model" / "saved_model.pb"
    mtime = os.stat(pb).st_mtime_ns
    cfg = dataclasses.replace(config.DEFAULTS["linear"], epochs=2, seed=7, out=tmp_path / "artifacts" / "linear")
    train_and_save("linear", cfg, progress=False)
    os.utime(pb, ns=(mtime, mtime))  # as tar, zip or rsync -t would leave it: the old cache key was name + mtime
    response = client.post("/api/predict/linear", json={"inputs": [1, 2, 3]})
    assert response.status_code == 503 and "retrained after export: re-export it" in response.get_json()["error"]


def test_preload_loads_each_counterpart_once_before_any_request(exported, artifacts, monkeypatch):
    import time

    import tfjs_bridge.web.counterparts as counterparts

    loads = []
    real = counterparts.load_checked
    monkeypatch.setattr(counterparts, "load_checked", lambda path, check: loads.append(path) or real(path, check))
    app = create_app({"TESTING": True, "MODELS_DIR": exported, "ARTIFACTS_DIR": artifacts})
    assert app.extensions["store"].preload() == (2, 2) and len(loads) == 2
    started = time.perf_counter()
    response = app.test_client().post("/api/predict/linear", json={"inputs": [1, 2, 3]})
    assert response.status_code == 200 and len(loads) == 2  # served by the preloaded counterpart
    assert time.perf_counter() - started < 1.0
