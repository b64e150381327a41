"""int64 inputs of /api/predict are read exactly: JSON integers never pass through float64, and every integer dtype
is range-checked with a 400 naming the input (issue 20, item 3)."""

import json

import numpy as np
import pytest

from tfjs_bridge.web import create_app
from tfjs_bridge.web.api import BadInput, parse_inputs

IDS = [{"name": "ids", "shape": [None, 3], "dtype": "int64"}]


def parse(text: str, specs=IDS) -> np.ndarray:
    """The batch parse_inputs makes of a JSON body (parsed as Flask parses it)."""
    return parse_inputs(json.loads(text), specs, 64)[specs[0]["name"]]


def test_int64_extremes_stay_exact():
    batch = parse('{"inputs": [9007199254740993, 9223372036854775807, -9223372036854775808]}')
    assert batch.dtype == np.int64 and batch.tolist() == [[2**53 + 1, 2**63 - 1, -(2**63)]]


def test_whole_floats_are_accepted_only_where_exact():
    assert parse('{"inputs": [1.0, -2e3, 9007199254740992.0]}').tolist() == [[1, -2000, 2**53]]
    for body in ('{"inputs": [1.5, 0, 0]}', '{"inputs": [1e19, 0, 0]}', '{"inputs": [9007199254740994.0, 0, 0]}'):
        with pytest.raises(BadInput, match="'ids' \\(dtype int64\\) takes whole numbers"):
            parse(body)


@pytest.mark.parametrize(("dtype", "value"), [("int64", 2**63), ("int64", -(2**63) - 1), ("int32", 2**31),
                                              ("uint8", -1), ("uint8", 256), ("int64", 10**400)])
def test_out_of_range_is_a_400_naming_the_input(dtype, value):
    spec = [{"name": "token", "shape": [None, 1], "dtype": dtype}]
    with pytest.raises(BadInput) as caught:
        parse(f'{{"inputs": [{value}]}}', spec)
    assert caught.value.status == 400 and f"input 'token' (dtype {dtype})" in str(caught.value)
    assert "out of range" in str(caught.value) and len(str(caught.value)) < 200


def test_the_api_answers_400_json_for_an_out_of_range_int64(tmp_path):
    """End to end through Flask with a stub model's metadata: the refusal comes before any model runs."""
    app = create_app({"TESTING": True, "MODELS_DIR": tmp_path, "ARTIFACTS_DIR": tmp_path})
    store = app.extensions["store"]
    store.metadata = lambda name: {"inputs": IDS, "outputs": [{"name": "y"}]}
    store.predict = lambda name, meta, inputs: pytest.fail("the model must not run")
    response = app.test_client().post("/api/predict/ids", json={"inputs": [1, 2, 2**64]})
    assert response.status_code == 400 and "input 'ids' (dtype int64)" in response.get_json()["error"]
