"""The Flask app: page, files, headers, the model list and the prediction API's answers and refusals."""

import json
import shutil

import numpy as np
import pytest

from tests.support.helpers import edit_json, golden_arrays
from tfjs_bridge.common.paths import SCHEMA_FILE
from tfjs_bridge.web import create_app


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, name, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(f"/api/predict/{name}", data=data, content_type=content_type)


def test_page_uses_local_bundles_and_isolation_headers(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="vendor/tf.min.js"' in html and "cdn" not in html.lower()  # relative: static copies too
    assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page.headers["Cross-Origin-Embedder-Policy"] == "require-corp"


def test_vendor_files_with_mime_types_and_caching(client):
    with client.get("/vendor/tfjs-backend-wasm-simd.wasm") as wasm:
        assert wasm.status_code == 200 and wasm.mimetype == "application/wasm"
        assert wasm.get_data()[:4] == b"\0asm"
    with client.get("/vendor/tf.min.js") as js:
        assert js.mimetype == "text/javascript" and js.headers.get("ETag")
    assert client.get("/vendor/package.json").status_code == 404


def test_model_files_revalidate_with_etag(client):
    with client.get("/models/mlp/model.json") as first:
        assert first.status_code == 200 and first.mimetype == "application/json"
        assert first.headers["Cache-Control"] == "no-cache"
    with client.get("/models/mlp/model.json", headers={"If-None-Match": first.headers["ETag"]}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("path", ["/models/../train/config.py", "/models/mlp/../../README.md",
                                  "/models/..%2f..%2fREADME.md/x", "/models/mlp/%2e%2e/%2e%2e/README.md"])
def test_paths_cannot_escape_the_models_folder(client, path):
    assert client.get(path).status_code == 404


def test_model_list(client):
    models = {m["name"]: m for m in client.get("/api/models").get_json()["models"]}
    assert set(models) == {"linear", "mlp"}
    mlp = models["mlp"]
    assert mlp["inputs"] == [{"name": "image", "shape": [None, 28, 28], "dtype": "float32"}]
    assert mlp["outputs"] == [{"name": "output", "shape": [None, 10], "dtype": "float32"}]
    assert mlp["format"] == "graph" and mlp["quantization"] is None and mlp["python"] is True
    assert mlp["bytes"] == 318056 and mlp["goldens"] == 64


def test_model_list_reports_last_verify(app, client, exported):
    (exported / "parity-report.json").write_text(json.dumps({"verified_at": "2026-11-25T00:00:00Z", "rows": [
        {"model": "mlp", "backend": "wasm", "pass": True, "maxAbsDiff": 2.4e-7, "tolerance": 1e-4, "argmaxAgreement": 1}]}))
    try:
        body = client.get("/api/models").get_json()
    finally:
        (exported / "parity-report.json").unlink()
    assert body["verified_at"] == "2026-11-25T00:00:00Z"
    mlp = next(m for m in body["models"] if m["name"] == "mlp")
    assert mlp["parity"]["wasm"]["pass"] is True


def test_schema_is_served_for_the_page(client):
    with client.get("/schema/model-folder.schema.json") as answer:
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        assert answer.get_json() == json.loads(SCHEMA_FILE.read_text())


def test_predict_matches_the_goldens(client, exported):
    inputs, outputs = golden_arrays(exported / "mlp")
    answer = post(client, "mlp", {"inputs": inputs[:3].tolist()})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    expected = outputs[:3]
    np.testing.assert_allclose(body["outputs"], expected, atol=1e-6)
    assert body["argmax"] == expected.argmax(1).tolist() and body["labels"] == [str(i) for i in body["argmax"]]


def test_predict_accepts_one_example_without_batch(client):
    body = post(client, "linear", {"inputs": [1.0, 2.0, 3.0]}).get_json()
    assert len(body["outputs"]) == 1 and len(body["outputs"][0]) == 1


BAD = [
    ("mlp", "not json", "application/json", 400, "not valid JSON"),
    ("mlp", {"inputs": [1, 2, 3]}, "text/plain", 415, "Content-Type: application/json"),
    ("mlp", [1, 2], "application/json", 400, 'JSON object like {"inputs"'),
    ("mlp", {"x": 1}, "application/json", 400, 'JSON object like {"inputs"'),
    ("mlp", {"inputs": [[0.0] * 28] * 27}, "application/json", 400, "shape [27, 28]"),
    ("mlp", {"inputs": [[[0.0] * 28] * 28] * 65}, "application/json", 413, "over the limit of 64"),
    ("linear", {"inputs": [1, 2]}, "application/json", 400, "shape [2]"),
    ("linear", {"inputs": [1, "2", 3]}, "application/json", 400, "found str"),
    ("linear", {"inputs": [1, True, 3]}, "application/json", 400, "found bool"),
    ("linear", {"inputs": [[1, 2, 3], [4, 5]]}, "application/json", 400, "ragged"),
    ("linear", {"inputs": [[]]}, "application/json", 400, "empty list"),
    ("linear", {"inputs": [[[1, 2, 3]]]}, "application/json", 400, "nested deeper"),
    ("linear", '{"inputs": [1, NaN, 3]}', "application/json", 400, "finite"),
    ("linear", '{"inputs": [1, 1e39, 3]}', "application/json", 400, "float32 range"),
    ("linear", "[" * 100_000, "application/json", 400, "nested too deeply"),
    ("linear", '{"inputs": [1, 1%s, 3]}' % ("0" * 400), "application/json", 400, "float32 range"),  # beyond float64
    ("a%2Fb", {"inputs": [1]}, "application/json", 404, "not found"),
    ("nope", {"inputs": [1, 2, 3]}, "application/json", 404, "unknown model 'nope'"),
    ("..", {"inputs": [1]}, "application/json", 404, ""),
]


@pytest.mark.parametrize("name, body, content_type, status, message", BAD)
def test_bad_requests_get_a_clear_4xx_json_error(client, name, body, content_type, status, message):
    answer = post(client, name, body, content_type)
    assert answer.status_code == status
    error = answer.get_json()
    assert error["status"] == status and message in error["error"] and "\n" not in error["error"]


def test_api_routing_errors_are_json_and_the_page_keeps_html(client):
    assert client.get("/api/predict/linear").get_json()["status"] == 405
    assert client.get("/api/nothing").get_json()["status"] == 404
    assert client.get("/nothing").mimetype == "text/html"


def test_oversized_body_is_413_json(client):
    answer = post(client, "mlp", b"[" + b"0," * 600_000 + b"0]")
    assert answer.status_code == 413 and answer.get_json()["status"] == 413


def test_missing_python_counterpart_is_404(exported, tmp_path):
    shutil.copytree(exported / "linear", tmp_path / "models" / "linear")
    edit_json(tmp_path / "models" / "linear" / "metadata.json", lambda meta: meta.update(counterpart="gone"))
    app = create_app({"TESTING": True, "MODELS_DIR": tmp_path / "models", "ARTIFACTS_DIR": tmp_path})
    assert app.test_client().get("/api/models").get_json()["models"][0]["python"] is False
    answer = post(app.test_client(), "linear", {"inputs": [1, 2, 3]})
    assert answer.status_code == 404
    assert answer.get_json()["error"] == (f"no Python model for linear: its counterpart 'gone' is not a SavedModel under "
                                          f"{tmp_path.name}/ (serve --artifacts DIR)")


def test_layers_export_predicts_with_its_source_saved_model(artifacts, exported, tmp_path):
    """A folder named differently from its artifact (mlp-layers) still finds its Python counterpart, by name."""
    shutil.copytree(exported / "mlp", tmp_path / "mlp-layers")
    assert json.loads((tmp_path / "mlp-layers" / "metadata.json").read_text())["counterpart"] == "mlp"
    app = create_app({"TESTING": True, "MODELS_DIR": tmp_path, "ARTIFACTS_DIR": artifacts})
    assert [m["name"] for m in app.test_client().get("/api/models").get_json()["models"]] == ["mlp-layers"]
    inputs, outputs = golden_arrays(tmp_path / "mlp-layers")
    answer = post(app.test_client(), "mlp-layers", {"inputs": inputs[:2].tolist()})
    assert answer.status_code == 200
    np.testing.assert_allclose(answer.get_json()["outputs"], outputs[:2], atol=1e-6)
