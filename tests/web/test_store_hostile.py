"""Hostile model folders against the server: every one an error row naming its folder, never a 500 for the
others, nothing outside the models root read or served, and integrity verdicts cached by file identity."""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.support import hostile
from tfjs_bridge.common import files
from tfjs_bridge.web import create_app, store


@pytest.fixture(scope="module")
def root(exported, tmp_path_factory):
    """A models root with the good linear export, one hostile copy per case, a link to /etc and a non-UTF-8 name."""
    base = tmp_path_factory.mktemp("hostile")
    models = base / "models"
    models.mkdir()
    shutil.copytree(exported / "linear", models / "linear")
    cases = hostile.write_cases(exported / "linear", models)
    (models / "etc").symlink_to("/etc")
    odd = os.path.join(os.fsencode(models), b"caf\xe9")
    shutil.copytree(exported / "linear", os.fsdecode(odd))
    return models, cases


@pytest.fixture(scope="module")
def client(root, artifacts):
    return create_app({"TESTING": True, "MODELS_DIR": root[0], "ARTIFACTS_DIR": artifacts}).test_client()


def test_each_hostile_folder_is_an_error_row_and_the_good_one_lists(client, root):
    _, cases = root
    started = time.perf_counter()
    answer = client.get("/api/models")
    assert answer.status_code == 200
    models = {m["name"]: m for m in answer.get_json()["models"]}
    assert "error" not in models["linear"] and models["linear"]["python"] is True
    for folder, case in cases.items():
        error = models[folder]["error"]
        assert folder in error and re.search(case["problem"], error) and "\n" not in error, (folder, error)
    assert "symbolic link" in models["etc"]["error"]
    assert "caf\\xe9" in models and "rename it" in models["caf\\xe9"]["error"]
    print(f"/api/models: {len(cases) + 2} hostile folders refused (links, FIFOs, devices, ../, 9 MiB JSON, "
          f"100,000-deep JSON, string bombs), the good one listed, in {time.perf_counter() - started:.2f} s")


def test_predict_on_each_hostile_folder_is_4xx_or_503_json(client, root):
    _, cases = root
    for folder in [*cases, "etc"]:
        answer = client.post(f"/api/predict/{folder}", json={"inputs": [1, 2, 3]})
        assert answer.status_code in (404, 503) and answer.is_json, (folder, answer.status_code)
    assert client.post("/api/predict/linear", json={"inputs": [1, 2, 3]}).status_code == 200


def test_nothing_outside_the_root_is_served(client, root):
    models, cases = root
    passwd = Path("/etc/passwd").read_bytes()
    tried = 0
    for folder in [*cases, "etc"]:
        path = models / folder
        names = {"passwd", "shadow", "model.json", "metadata.json", "goldens.json", "group1-shard1of1.bin"}
        if path.is_dir() and not path.is_symlink():
            names |= {p.name for p in path.iterdir()}
        for name in names:
            with client.get(f"/models/{folder}/{name}") as answer:  # closing it closes a served file
                answer.data  # noqa: B018 (read the body before the response closes)
            tried += 1
            assert answer.data != passwd and not answer.data.startswith(b"\0" * 16), (folder, name)
            link_or_odd = path.is_symlink() or os.path.islink(path / name) or (path / name).exists() and not (path / name).is_file()
            if link_or_odd:
                assert answer.status_code in (403, 404), (folder, name, answer.status_code)
    with client.get("/models/linear/model.json") as answer:
        assert answer.status_code == 200 and answer.get_json()["weightsManifest"]
    assert client.get("/models/linear/.tfjs-bridge").status_code == 404
    print(f"/models/: {tried} requests into hostile folders, none served a linked, FIFO or device file")


WRONG = [None, True, 1, -1, 1e308, "x", "/etc", "../x", [], {}, [[[[]]]], {"a": {"b": None}}]
FIELDS = ["schema", "name", "format", "kind", "source", "counterpart", "inputs", "outputs", "labels", "preprocessing",
          "quantization", "bytes", "files", "goldens", "training", "versions", "exported_at", "accuracy",
          "source.type", "source.name", "inputs.0", "inputs.0.shape", "inputs.0.dtype", "inputs.0.name", "files.0",
          "files.0.path", "files.0.bytes", "goldens.count", "goldens.bytes", "bytes.on_disk", "training.final",
          "quantization.map"]


def _set(doc, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        doc = doc[int(key)] if isinstance(doc, list) else doc.setdefault(key, {}) if doc.get(key) is not None else doc.setdefault(key, {})
    if isinstance(doc, list):
        doc[int(last)] = value
    else:
        doc[last] = value


def test_wrong_types_in_every_metadata_field_are_error_rows_never_500(exported, artifacts, tmp_path):
    good = json.loads((exported / "linear" / "metadata.json").read_text())
    models = tmp_path / "models"
    shutil.copytree(exported / "linear", models / "linear")
    made = 0
    for f, field in enumerate(FIELDS):
        for v, value in enumerate(WRONG):
            folder = models / f"m{f}-{v}"
            shutil.copytree(exported / "linear", folder)
            meta = json.loads(json.dumps(good))
            if field == "quantization.map":
                meta["quantization"] = {"dtype": "uint8", "map": value}
            else:
                _set(meta, field, value)
            (folder / "metadata.json").write_text(json.dumps(meta))
            made += 1
    client = create_app({"TESTING": True, "MODELS_DIR": models, "ARTIFACTS_DIR": artifacts}).test_client()
    answer = client.get("/api/models")
    assert answer.status_code == 200
    rows = answer.get_json()["models"]
    assert len(rows) == made + 1 and all("error" in r or "inputs" in r for r in rows)
    errors = sum("error" in r for r in rows)
    statuses = {client.post(f"/api/predict/{r['name']}", json={"inputs": [1, 2, 3]}).status_code for r in rows[::7]}
    assert statuses <= {200, 400, 404, 422, 503}, statuses
    print(f"metadata fields: {made} folders with a wrong value in one of {len(FIELDS)} fields; {errors} refused as "
          f"error rows, the rest valid; /api/models 200, predict statuses {sorted(statuses)}")


def test_counterparts_resolve_only_inside_the_artifacts_root(exported, artifacts, tmp_path):
    arts = tmp_path / "arts"
    arts.mkdir()
    (arts / "evil").symlink_to(artifacts / "linear")  # a link out of the artifacts root
    models = tmp_path / "models"
    for counterpart in ("evil", "linear"):
        shutil.copytree(exported / "linear", models / counterpart)
        meta = json.loads((models / counterpart / "metadata.json").read_text())
        meta["counterpart"] = counterpart
        (models / counterpart / "metadata.json").write_text(json.dumps(meta))
    shutil.copytree(artifacts / "linear", arts / "linear")
    client = create_app({"TESTING": True, "MODELS_DIR": models, "ARTIFACTS_DIR": arts}).test_client()
    listed = {m["name"]: m for m in client.get("/api/models").get_json()["models"]}
    assert listed["evil"]["python"] is False and listed["linear"]["python"] is True
    assert client.post("/api/predict/evil", json={"inputs": [1, 2, 3]}).status_code == 404


@pytest.mark.parametrize("watched,count", [(True, 20_000), (False, 2_000)], ids=["inotify", "identity-sweep"])
@pytest.mark.slow
def test_twenty_thousand_shards_are_not_rechecked_per_request(tmp_path, monkeypatch, watched, count):
    hostile.shard_folder(tmp_path / "many", count)
    old = time.time() - 60  # not "racily clean": their hashes may be cached by identity
    for p in (tmp_path / "many").iterdir():
        os.utime(p, (old, old))
    hashed = []  # shards opened to be hashed (a cached identity opens nothing)
    real = files.open_regular
    monkeypatch.setattr(files, "open_regular", lambda fd, name, *a: (name.endswith(".bin") and hashed.append(name)) or real(fd, name, *a))
    s = store.Store(tmp_path, tmp_path)
    if not watched:
        s._watcher = None
    started = time.perf_counter()
    s.metadata("many")
    first = time.perf_counter() - started
    assert len(hashed) == count
    times = []
    for _ in range(30):
        started = time.perf_counter()
        s.metadata("many")
        times.append(time.perf_counter() - started)
    per_request = sorted(times)[len(times) // 2]
    assert len(hashed) == count, "no shard re-hashed while unchanged"
    shard = tmp_path / "many" / f"group1-shard77of{count}.bin"
    shard.write_bytes(b"XXXX")  # in place: same inode, same size, new bytes
    with pytest.raises(store.ModelError, match=f"group1-shard77of{count}.bin: sha256 mismatch"):
        s.metadata("many")
    assert len(hashed) == count + 1, "only the rewritten shard was hashed again"
    if watched:
        assert per_request < 0.005, f"{per_request * 1000:.2f} ms per request"
    print(f"{count:,} shards ({'inotify' if watched else 'identity sweep'}): first check {first:.2f} s, then "
          f"{per_request * 1000:.2f} ms per request (p50 of 30), no re-hash; an in-place rewrite caught, 1 file re-hashed")
