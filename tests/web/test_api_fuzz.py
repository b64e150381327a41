"""Property-based fuzzing of POST /api/predict: every malformed request is a one-line 4xx JSON error, never a 500."""

import collections
import json
import math
from urllib.parse import quote

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.helpers import golden_arrays

EXAMPLES = 300  # the issue asks for at least 200 malformed requests per run
JSON = "application/json"


def request(kind: str, name, body, content_type=JSON):
    """One malformed request: (kind, model name, body as bytes or a JSON-able value, content type)."""
    return st.tuples(st.just(kind), name, body, st.just(content_type) if isinstance(content_type, str) else content_type)


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def not_a_linear_shape(shape: list[int]) -> bool:
    """linear takes [3] or [n<=64, 3]: anything else is a wrong shape."""
    return shape not in ([3],) and not (len(shape) == 2 and shape[1] == 3 and 1 <= shape[0] <= 64)


leaf = st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
junk = st.recursive(st.one_of(leaf, st.floats(allow_nan=False, allow_infinity=False)), lambda inner: st.lists(inner, max_size=4), max_leaves=12)
non_finite = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.floats(min_value=3.5e38), st.floats(max_value=-3.5e38),
                       st.integers(min_value=10**39, max_value=10**400))
shapes = st.lists(st.integers(1, 5), min_size=0, max_size=4).filter(not_a_linear_shape)
traversal = st.sampled_from(["..", ".", "...", "../linear", "..%2flinear", "%2e%2e", "linear/..", "../../etc/passwd", "/etc/passwd",
                             "linear%00", "~", "linear/../mlp", ".git", "%252e%252e"])
unknown = st.text(min_size=1, max_size=80).filter(lambda s: s not in ("linear", "mlp"))
known = st.sampled_from(["linear", "mlp"])
valid_linear = {"inputs": [1.0, 2.0, 3.0]}

MALFORMED = st.one_of(
    request("wrong shape", st.just("linear"), shapes.map(lambda s: {"inputs": np.zeros(s).tolist()})),
    request("wrong shape (mlp)", st.just("mlp"), st.lists(st.floats(0, 1), min_size=1, max_size=30).map(lambda v: {"inputs": v})),
    request("nested junk", known, st.tuples(junk, leaf).map(lambda j: {"inputs": [j[0], j[1], 1.0]})),
    request("nested junk (anywhere)", known, st.recursive(leaf, lambda i: st.lists(i, max_size=3) | st.dictionaries(st.text(max_size=3), i, max_size=3))),
    request("NaN/Inf/huge", st.just("linear"), st.tuples(non_finite, st.floats(-1, 1)).map(lambda t: {"inputs": [t[1], t[0], t[1]]})),
    request("strings", known, st.one_of(st.text(), st.text().map(lambda s: {"inputs": s}))),
    request("empty body", known, st.sampled_from([b"", b" ", b"\n"])),
    request("wrong content type", known, st.just(valid_linear),
            st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "", "application/xml"])),
    request("not JSON", known, st.binary(max_size=64).filter(lambda b: b.strip()[:1] not in (b"{", b"[", b'"') and b.strip() != b"")),
    request("oversized", known, st.integers(1_100_000, 3_000_000).map(lambda n: b"[" + b"0," * (n // 2) + b"0]")),
    request("batch too large", st.just("linear"), st.integers(65, 500).map(lambda n: {"inputs": [[0.5, 0.5, 0.5]] * n})),
    request("unknown model", unknown, st.just(valid_linear)),
    request("path traversal", traversal, st.just(valid_linear)),
)


def send(client, name, body, content_type, raw_name=False):
    """POST body to /api/predict/<name>: name percent-encoded into one path segment unless raw_name."""
    data = body if isinstance(body, bytes) else json.dumps(body, allow_nan=True).encode()
    return client.post(f"/api/predict/{name if raw_name else quote(name, safe='')}", data=data, content_type=content_type)


def test_malformed_requests_get_4xx_json_never_500(app, exported):
    client = app.test_client()
    counts = collections.Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(MALFORMED)
    def check(req):
        kind, name, body, content_type = req
        answer = send(client, name, body, content_type, raw_name=kind == "path traversal")
        assert 400 <= answer.status_code < 500, (kind, name, answer.status_code, answer.get_data()[:200])
        error = answer.get_json(silent=True)
        assert answer.mimetype == JSON and isinstance(error, dict), (kind, answer.get_data()[:200])
        assert error["status"] == answer.status_code and isinstance(error["error"], str) and "\n" not in error["error"]
        counts[kind] += 1

    check()
    total = sum(counts.values())
    print(f"fuzzed /api/predict with {total} malformed requests, all 4xx JSON: {dict(sorted(counts.items()))}")
    assert total >= 200

    # The server is still healthy: a valid request afterwards gets the stored golden outputs.
    inputs, outputs = golden_arrays(exported / "mlp")
    answer = send(client, "mlp", {"inputs": inputs[:4].tolist()}, JSON)
    assert answer.status_code == 200
    np.testing.assert_allclose(answer.get_json()["outputs"], outputs[:4], atol=1e-6)
