"""Load on the production server (`python -m web.serve`, as `make serve` starts it): no errors, p50/p99 recorded."""

import concurrent.futures
import json
import time
import urllib.request

import numpy as np
import pytest

from tests.support.helpers import golden_arrays
from tests.support.server import serving
from tfjs_bridge.common.paths import CHECKOUT

REQUESTS = 2000
CONCURRENCY = 16
RESULTS = CHECKOUT / "bench" / "raw" / "load.json"  # git-ignored; the benchmark report quotes it


@pytest.fixture(scope="module")
def server(exported, artifacts):
    """`python -m web.serve` on a free port of 127.0.0.1, serving the quick-trained exports; yields its base URL."""
    with serving(exported, artifacts) as (host, port):
        yield f"http://{host}:{port}"


def workload(exported) -> list[tuple]:
    """(kind, path, body or None, check) for prediction and model-file requests, interleaved."""
    mlp = json.loads((exported / "mlp" / "metadata.json").read_text())
    inputs, outputs = golden_arrays(exported / "mlp")
    digit, expected_digit = inputs[0].tolist(), int(np.argmax(outputs[0]))
    shard = mlp["files"][0]
    model_json = (exported / "mlp" / "model.json").read_bytes()
    kinds = [
        ("predict mlp", "/api/predict/mlp", {"inputs": digit}, lambda b: json.loads(b)["argmax"] == [expected_digit]),
        ("predict linear", "/api/predict/linear", {"inputs": [[0.1, 0.2, 0.3]] * 8}, lambda b: len(json.loads(b)["outputs"]) == 8),
        ("model.json", "/models/mlp/model.json", None, lambda b: b == model_json),
        ("shard", f"/models/mlp/{shard['path']}", None, lambda b: len(b) == shard["bytes"]),
    ]
    return [kinds[i % len(kinds)] for i in range(REQUESTS)]


def timed(base: str, job: tuple) -> tuple[str, float, str | None]:
    """Send one request; (kind, seconds, error or None)."""
    kind, path, body, check = job
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"} if data else {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            payload = answer.read()
        error = None if check(payload) else "wrong answer"
    except Exception as err:  # any failure (HTTP status, reset, timeout) counts as an error
        error = f"{type(err).__name__}: {err}"
    return kind, time.perf_counter() - started, error


def percentiles(seconds: list[float]) -> dict:
    ms = 1000 * np.asarray(seconds)
    return {"requests": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


@pytest.mark.slow
def test_concurrent_predictions_and_model_files_without_errors(server, exported):
    jobs = workload(exported)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda job: timed(server, job), jobs))
    wall = time.perf_counter() - started
    errors = [(kind, error) for kind, _, error in results if error]
    report = {
        "server": "python -m web.serve (waitress, 4 threads)", "concurrency": CONCURRENCY, "errors": len(errors),
        "wall_s": round(wall, 2), "requests_per_s": round(len(results) / wall, 1),
        "all": percentiles([s for _, s, _ in results]),
        "by_kind": {k: percentiles([s for kind, s, _ in results if kind == k]) for k in dict.fromkeys(j[0] for j in jobs)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"load: {len(results)} requests at concurrency {CONCURRENCY} in {wall:.1f} s, {len(errors)} errors, "
          f"p50 {report['all']['p50_ms']} ms, p99 {report['all']['p99_ms']} ms; by kind {report['by_kind']} → {RESULTS}")
    assert len(results) >= 2000 and errors == [], errors[:5]
