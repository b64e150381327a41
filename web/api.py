"""JSON API: the models on offer and Python's prediction for an input; every error is 4xx JSON."""

import json
import math
import threading
import time

import numpy as np
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from tfjs_bridge.web.store import ModelError, shown

bp = Blueprint("api", __name__, url_prefix="/api")
# Inputs have at most 16 dimensions (the schema), plus the batch and the body's object: deeper is never valid.
MAX_DEPTH = 32
OPENING, CLOSING = np.frombuffer(b"[{", dtype=np.uint8), np.frombuffer(b"]}", dtype=np.uint8)


class BadInput(ModelError):
    """A request body that is not a valid input for the model (HTTP 400 unless given)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(status, message)


def store():
    return current_app.extensions["store"]


@bp.errorhandler(ModelError)
def model_error(err: ModelError):
    """Refuse with the error's status and its one-line message."""
    return jsonify(error=str(err), status=err.status), err.status


@bp.app_errorhandler(HTTPException)
def http_error(err: HTTPException):
    """Werkzeug's HTML error pages, as JSON for API clients (app-wide: unrouted /api/ paths 404 or 405 outside bp).

    The error's own response is kept for its headers (Allow on a 405), only its body becomes JSON.
    """
    if not request.path.startswith(bp.url_prefix + "/"):
        return err
    response = err.get_response()
    response.set_data(json.dumps({"error": err.description, "status": err.code}))
    response.content_type = "application/json"
    return response


@bp.after_request
def options_reply(response):
    """OPTIONS answers 204 with the Allow header and no body (Flask's automatic answer is an empty HTML 200)."""
    if request.method == "OPTIONS" and response.status_code == 200:
        reply = current_app.response_class(status=204)
        reply.headers["Allow"] = response.headers.get("Allow", "")
        return reply
    return response


# What one /api/models answer may hold: a model's labels are listed up to LISTED_LABEL_BYTES of JSON (the page reads
# longer lists from the model's metadata.json), and the whole answer up to LISTING_BYTES.
LISTED_LABEL_BYTES = 64 * 1024
LISTING_BYTES = 8 * 1024 * 1024


def listed(entry: dict) -> dict:
    """A model's listing entry with over-long labels left out (and said so)."""
    labels = entry.get("labels")
    size = len(json.dumps(labels)) if labels else 0
    if size > LISTED_LABEL_BYTES:
        entry = {**entry, "labels": None,
                 "labels_omitted": f"{len(labels):,} labels ({size:,} bytes of JSON) are over the listing's limit of "
                                   f"{LISTED_LABEL_BYTES:,}: read them from the model's metadata.json"}
    return entry


def listing_body() -> bytes:
    """GET /api/models's JSON: every exported model with its spec, size and last parity results."""
    report = store().parity_report()
    models = []
    for name in store().names():
        try:
            entry = listed(store().summary(name))
        except ModelError as err:
            entry = {"name": shown(name), "error": str(err)}
        entry["parity"] = report.get("models", {}).get(name, {})
        models.append(entry)
    body = json.dumps({"models": models, "verified_at": report.get("verified_at")}).encode()
    if len(body) > LISTING_BYTES:
        raise ModelError(503, f"the listing of {len(models)} models is {len(body):,} bytes, over the limit of "
                         f"{LISTING_BYTES:,}: serve fewer model folders")
    return body


@bp.get("/models")
def list_models():
    """List every exported model with its spec, size and last parity results (built once per folder change)."""
    names = store().names()
    key = (tuple((n, store().version(n)) for n in names), store().parity_version(), store().artifacts_version())
    cache = current_app.extensions.setdefault("listing", {"key": None, "body": None, "lock": threading.Lock()})
    with cache["lock"]:
        if cache["key"] != key:
            cache.update(key=None, body=listing_body())
            cache["key"] = key
        body = cache["body"]
    return current_app.response_class(body, mimetype="application/json")


def read_json_body(specs: list[dict], max_batch: int) -> object:
    """The request body as JSON, refusing other content types, malformed or over-deep documents, and bodies
    holding more lists or values than the largest valid batch could, before they are parsed."""
    if not request.is_json:
        raise BadInput("send a JSON body with Content-Type: application/json", 415)
    data = request.get_data(cache=False) or b""
    if nesting_depth(data) > MAX_DEPTH:
        raise BadInput("JSON nested too deeply")
    bounds = [structure_bound(spec["shape"][1:], max_batch) for spec in specs]
    if None not in bounds:
        lists, values = (sum(b[i] for b in bounds) for i in (0, 1))
        if data.count(b"[") > lists or data.count(b",") > values + 2 * len(specs):
            raise BadInput(f"body holds more lists or values than {max_batch} examples of the model's inputs can: "
                           f"a batch over the limit of {max_batch}, or the wrong shape", 413)
    try:
        return json.loads(data)
    except RecursionError:
        raise BadInput("JSON nested too deeply") from None
    except ValueError as err:
        raise BadInput(f"body is not valid JSON: {err}") from None


def nesting_depth(data: bytes) -> int:
    """How deep '[' and '{' nest in data (brackets inside strings counted too: an upper bound), without parsing it."""
    codes = np.frombuffer(data, dtype=np.uint8)
    steps = np.isin(codes, OPENING).astype(np.int32) - np.isin(codes, CLOSING).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def structure_bound(example: list, max_batch: int) -> tuple[int, int] | None:
    """(most '[', most ',') a valid body can hold for examples of this shape, with room for a few other fields;
    None when a free dimension leaves it unbounded (then only the 1 MiB body limit applies)."""
    if None in example:
        return None
    lists, width = 1, 1  # the batch's own list; then, per example, one list per row of each level but the last
    for dim in example[:-1]:
        width *= dim
        lists += max_batch * width
    lists += max_batch if example else 0
    values = max_batch * math.prod(example)
    return lists + 8, values + lists + 8


# What a JSON leaf must be for each input dtype (the model-folder schema's dtypes).
LEAF = {"string": (str,), "bool": (bool,)}
INTEGER_RANGE = {"uint8": (0, 255), "int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def leaf_ok(value, dtype: str) -> bool:
    """Whether a JSON value is a valid element of an input of this dtype."""
    if dtype in LEAF:
        return isinstance(value, LEAF[dtype])
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def nested_shape(value, depth_limit: int, dtype: str = "float32") -> list[int]:
    """Shape of a rectangular nested list of the dtype's values; BadInput for ragged lists or wrong values."""
    if not isinstance(value, list):
        if not leaf_ok(value, dtype):
            kind = {"string": "strings", "bool": "true/false"}.get(dtype, "numbers")
            raise BadInput(f"inputs must be {kind} in nested lists, found {type(value).__name__}")
        return []
    if depth_limit == 0:
        raise BadInput("inputs are nested deeper than the model's input")
    if not value:
        raise BadInput("inputs contain an empty list")
    first = nested_shape(value[0], depth_limit - 1, dtype)
    for v in value[1:]:  # stop at the first misfit: a ragged body costs no more than its first error
        if nested_shape(v, depth_limit - 1, dtype) != first:
            raise BadInput("inputs are ragged: sub-lists differ in length or depth")
    return [len(value), *first]


# A JSON number with a fraction or exponent is a float64: whole ones are exact up to 2**53, beyond that they are
# already rounded, so integer inputs beyond it must be sent as JSON integers (which Python reads exactly).
EXACT_FLOAT = 2**53


def as_integers(values, dtype: str, name: str) -> np.ndarray:
    """Validated JSON values as an integer array, read exactly (never through float64) and range-checked."""
    low, high = INTEGER_RANGE[dtype]
    objects = np.array(values, dtype=object)
    flat = objects.ravel().tolist()
    for i, v in enumerate(flat):
        if isinstance(v, float):
            if not (math.isfinite(v) and v.is_integer()):
                raise BadInput(f"input {name!r} (dtype {dtype}) takes whole numbers: {v!r} is not one")
            if abs(v) > EXACT_FLOAT:
                raise BadInput(f"input {name!r} (dtype {dtype}) takes whole numbers: {v!r} is beyond 2**53, where a "
                               "number with a decimal point or exponent is not exact (send it as a JSON integer)")
            flat[i] = int(v)
    lowest, highest = min(flat), max(flat)
    if lowest < low or highest > high:
        bad = lowest if lowest < low else highest
        raise BadInput(f"input {name!r} (dtype {dtype}) takes whole numbers from {low} to {high}: "
                       f"{str(bad)[:40]} is out of range")
    return np.array(flat, dtype=dtype).reshape(objects.shape)


def as_array(values, dtype: str, name: str = "inputs") -> np.ndarray:
    """Validated JSON values as an array of the input's dtype: finite floats, whole numbers in range, bools, strings."""
    if dtype == "string":
        return np.asarray(values, dtype=object)
    if dtype == "bool":
        return np.asarray(values, dtype=bool)
    if dtype in INTEGER_RANGE:
        return as_integers(values, dtype, name)
    try:
        with np.errstate(over="ignore"):
            array = np.asarray(values, dtype=np.float64)
    except OverflowError:  # a JSON integer beyond float64 (e.g. 400 digits) parses to a Python int first
        array = np.array([np.inf])
    with np.errstate(over="ignore"):
        array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise BadInput("inputs must be finite numbers (no NaN, Infinity, or values beyond float32 range)")
    return array.astype(dtype)


def parse_input(value, spec: dict, max_batch: int) -> np.ndarray:
    """One input's example or batch, checked against its spec (shape and dtype); returns the batch."""
    example = spec["shape"][1:]
    given = nested_shape(value, len(example) + 1, spec["dtype"])
    shape, values = ([1, *given], [value]) if len(given) == len(example) else (given, value)
    fits = len(shape) == len(example) + 1 and all(d is None or d == s for d, s in zip(example, shape[1:], strict=True))
    if not fits:
        want = "x".join("N" if d is None else str(d) for d in example)
        raise BadInput(f"inputs have shape {given}; input {spec['name']!r} takes [{want}] or a batch of them")
    if shape[0] > max_batch:
        raise BadInput(f"batch of {shape[0]} is over the limit of {max_batch}", 413)
    return as_array(values, spec["dtype"], spec["name"])


def parse_inputs(body, specs: list[dict], max_batch: int) -> dict[str, np.ndarray]:
    """Validate {"inputs": example or batch} (one input) or {"inputs": {name: example or batch}} (several) against
    the model's input specs; return one batch per input name, all of the same size."""
    if not isinstance(body, dict) or "inputs" not in body:
        raise BadInput('body must be a JSON object like {"inputs": [...]}')
    if len(specs) == 1:
        return {specs[0]["name"]: parse_input(body["inputs"], specs[0], max_batch)}
    given = body["inputs"]
    names = [spec["name"] for spec in specs]
    if not isinstance(given, dict) or sorted(given) != sorted(names):
        raise BadInput(f'this model takes {len(specs)} inputs: send {{"inputs": {{{", ".join(map(repr, names))}: ...}}}}')
    batches = {spec["name"]: parse_input(given[spec["name"]], spec, max_batch) for spec in specs}
    if len({len(b) for b in batches.values()}) > 1:
        raise BadInput("inputs hold batches of different sizes")
    return batches


@bp.post("/predict/<name>")
def predict(name: str):
    """Python's prediction (the exported model's SavedModel) for one example or a batch."""
    meta = store().metadata(name)
    specs, max_batch = meta["inputs"], current_app.config["MAX_BATCH"]
    inputs = parse_inputs(read_json_body(specs, max_batch), specs, max_batch)
    started = time.perf_counter()
    models = store()  # the prediction runs in its own thread, outside the app context
    models.serving_fn(name, meta)  # loaded (once per content) outside the budget, which bounds the prediction only
    outputs = current_app.extensions["budgets"].run(name, lambda: models.predict(name, meta, inputs))
    ms = round(1000 * (time.perf_counter() - started), 3)
    if any(o.dtype.kind == "f" and not np.isfinite(o).all() for o in outputs.values()):
        raise BadInput("the model produced non-finite outputs for these inputs", 422)
    listed = {k: (v.astype(str) if v.dtype.kind in "SO" else v).tolist() for k, v in outputs.items()}
    result = {"model": name, "outputs": listed[meta["outputs"][0]["name"]] if len(listed) == 1 else listed, "ms": ms}
    first = outputs[meta["outputs"][0]["name"]]
    if meta.get("kind") == "classification" and first.ndim >= 2:
        result["argmax"] = first.argmax(axis=-1).tolist()
        labels = meta.get("labels")
        if labels:
            result["labels"] = [labels[i] if isinstance(i, int) and i < len(labels) else None for i in result["argmax"]]
    return jsonify(result)
