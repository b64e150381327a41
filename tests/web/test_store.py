"""The store's integrity check: every broken copy of a good export is refused naming its file; the rest serve."""

import json
import re
import shutil

import pytest

from tests.support.corrupt import write_cases
from tfjs_bridge.common import contract, files
from tfjs_bridge.web import create_app, store


@pytest.fixture(scope="module")
def broken(exported, tmp_path_factory):
    """A models folder with the good linear export and one broken copy of it per case; returns (folder, cases)."""
    root = tmp_path_factory.mktemp("broken_models")
    shutil.copytree(exported / "linear", root / "linear")
    return root, write_cases(exported / "linear", root)


@pytest.fixture
def client(broken, artifacts):
    return create_app({"TESTING": True, "MODELS_DIR": broken[0], "ARTIFACTS_DIR": artifacts}).test_client()


def assert_names_file_and_problem(message: str, folder: str, case: dict) -> None:
    assert f"{folder}/{case['file']}" in message, message
    assert re.search(case["problem"], message), message
    assert "\n" not in message


def test_model_list_flags_each_broken_model_and_lists_the_good_one(client, broken):
    _, cases = broken
    models = {m["name"]: m for m in client.get("/api/models").get_json()["models"]}
    assert set(models) == {"linear", *cases}
    assert "error" not in models["linear"] and models["linear"]["inputs"][0]["shape"] == [None, 3]
    for folder, case in cases.items():
        assert_names_file_and_problem(models[folder]["error"], folder, case)
    print(f"/api/models: {len(cases)} broken folders refused, 1 good listed")


def test_predict_on_a_broken_model_is_503_naming_the_file(client, broken):
    _, cases = broken
    for folder, case in cases.items():
        answer = client.post(f"/api/predict/{folder}", json={"inputs": [1, 2, 3]})
        assert answer.status_code == 503
        assert_names_file_and_problem(answer.get_json()["error"], folder, case)
    good = client.post("/api/predict/linear", json={"inputs": [1, 2, 3]})
    assert good.status_code == 200 and len(good.get_json()["outputs"][0]) == 1
    print(f"/api/predict: {len(cases)} broken models refused with 503, the good one predicts")


def test_verification_is_cached_until_a_file_changes(exported, tmp_path, monkeypatch):
    shutil.copytree(exported / "linear", tmp_path / "linear")
    calls = []
    real = store.verify_folder
    monkeypatch.setattr(store, "verify_folder", lambda folder: calls.append(folder) or real(folder))
    s = store.Store(tmp_path, tmp_path)
    for _ in range(5):
        s.metadata("linear")
    assert len(calls) == 1
    meta = json.loads((tmp_path / "linear" / "metadata.json").read_text())
    shard = tmp_path / "linear" / meta["files"][0]["path"]
    shard.write_bytes(shard.read_bytes()[:-1])
    with pytest.raises(store.ModelError, match="bytes, metadata says"):
        s.metadata("linear")
    assert len(calls) == 2


def test_shard_paths_outside_the_folder_are_refused(exported, tmp_path):
    shutil.copytree(exported / "linear", tmp_path / "linear")
    meta_file = tmp_path / "linear" / "metadata.json"
    meta = json.loads(meta_file.read_text())
    model_file = tmp_path / "linear" / "model.json"
    model = json.loads(model_file.read_text())
    meta["files"][0]["path"] = model["weightsManifest"][0]["paths"][0] = "../linear/model.json"
    meta_file.write_text(json.dumps(meta))
    model_file.write_text(json.dumps(model))
    # The schema refuses it first, naming the field; check_file refuses it again on its own (defence in depth).
    with pytest.raises(store.ModelError, match=r'linear/metadata.json: files\[0\]\.path: "\.\./linear/model.json" does not match'):
        store.Store(tmp_path, tmp_path).metadata("linear")
    with pytest.raises(contract.IntegrityError, match="not a file name in the model folder"), files.folder(tmp_path / "linear", "linear") as fd:
        contract.check_file(fd, meta["files"][0])
