"""Responses cost what they hold: a large model file is streamed with an ETag computed by streaming (never read
whole), /api/models is built once per folder change, and its size is capped (issue 20, item 5)."""

import os
import shutil
import tracemalloc

import pytest

import tfjs_bridge.web.api as api
from tests.support.helpers import edit_json
from tfjs_bridge.web import create_app


@pytest.fixture
def models(exported, tmp_path):
    shutil.copytree(exported, tmp_path / "models")
    return tmp_path / "models"


def client_for(models, artifacts):
    return create_app({"TESTING": True, "MODELS_DIR": models, "ARTIFACTS_DIR": artifacts}).test_client()


def test_a_large_file_is_never_read_whole(models, artifacts):
    size = 128 * 1024 * 1024
    with open(models / "mlp" / "big.bin", "wb") as f:  # sparse: costs no disk
        f.truncate(size)
    os.utime(models / "mlp" / "big.bin", (1, 1))  # not "racy": its digest may be cached
    client = client_for(models, artifacts)
    tracemalloc.start()
    try:
        with client.get("/models/mlp/big.bin") as response:
            etag = response.headers["ETag"]
            assert response.status_code == 200 and response.content_length == size
            assert response.headers.get("Content-Encoding") is None  # over GZIP_MAX_BYTES: sent as it is
        peak = tracemalloc.get_traced_memory()[1]
        with client.get("/models/mlp/big.bin", headers={"If-None-Match": etag}) as again:
            assert again.status_code == 304
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak:,} bytes allocated for a {size:,}-byte file"
    print(f"{size >> 20} MiB file: ETag and 200 with {peak / 2**20:.1f} MiB allocated at peak")


def test_the_listing_is_built_once_per_folder_change(models, artifacts, monkeypatch):
    builds = []
    real = api.listing_body
    monkeypatch.setattr(api, "listing_body", lambda: builds.append(1) or real())
    client = client_for(models, artifacts)
    first = [client.get("/api/models").get_json() for _ in range(5)]
    assert len(builds) == 1 and all(f == first[0] for f in first)
    edit_json(models / "linear" / "metadata.json", lambda meta: meta.update(kind="regression"))
    client.get("/api/models")
    assert len(builds) == 2


def test_an_over_long_label_list_is_left_out_of_the_listing_with_a_reason(models, artifacts):
    labels = [f"class number {i}" for i in range(30_000)]
    edit_json(models / "mlp" / "metadata.json", lambda meta: meta.update(labels=labels))
    listing = client_for(models, artifacts).get("/api/models")
    mlp = next(m for m in listing.get_json()["models"] if m["name"] == "mlp")
    assert len(listing.data) < api.LISTED_LABEL_BYTES + 64 * 1024
    assert mlp["labels"] is None and "30,000 labels" in mlp["labels_omitted"]


def test_the_whole_listing_is_capped(models, artifacts, monkeypatch):
    monkeypatch.setattr(api, "LISTING_BYTES", 500)
    response = client_for(models, artifacts).get("/api/models")
    assert response.status_code == 503, response.data[:2000]
    assert "over the limit of 500" in response.get_json()["error"]


def test_the_listing_notices_a_counterpart_appearing(models, artifacts, tmp_path):
    empty = tmp_path / "artifacts"
    empty.mkdir()
    client = client_for(models, empty)
    python = lambda: {m["name"]: m["python"] for m in client.get("/api/models").get_json()["models"]}  # noqa: E731
    assert python() == {"linear": False, "mlp": False}
    shutil.copytree(artifacts / "linear", empty / "linear")
    assert python() == {"linear": True, "mlp": False}
