"""JSON API: the models on offer and Python's prediction for an input; every error is 4xx JSON."""

import json
import math
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


@bp.get("/models")
def list_models():
    """List every exported model with its spec, size and last parity results."""
    report = store().parity_report()
    models = []
    for name in store().names():
        try:
            entry = store().summary(name)
        except ModelError as err:
            entry = {"name": shown(name), "error": str(err)}
        entry["parity"] = report.get("models", {}).get(name, {})
        models.append(entry)
    return jsonify(models=models, verified_at=report.get("verified_at"))


def read_json_body(spec: dict, max_batch: int) -> object:
    """The request body as JSON, refusing other content types, malformed or over-deep documents, and bodies
    holding more lists or numbers than the largest valid batch could, before they are parsed."""
    if not request.is_json:
        raise BadInput("send a JSON body with Content-Type: application/json", 415)
    data = request.get_data(cache=False) or b""
    if nesting_depth(data) > MAX_DEPTH:
        raise BadInput("JSON nested too deeply")
    bound = structure_bound(spec["shape"][1:], max_batch)
    if bound is not None and (data.count(b"[") > bound[0] or data.count(b",") > bound[1]):
        raise BadInput(f"body holds more lists or numbers than {max_batch} examples of input {spec['name']!r} can: "
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


def nested_shape(value, depth_limit: int) -> list[int]:
    """Shape of a rectangular nested list of numbers; BadInput for ragged lists or non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float, list)):
        raise BadInput(f"inputs must be numbers in nested lists, found {type(value).__name__}")
    if not isinstance(value, list):
        return []
    if depth_limit == 0:
        raise BadInput("inputs are nested deeper than the model's input")
    if not value:
        raise BadInput("inputs contain an empty list")
    first = nested_shape(value[0], depth_limit - 1)
    for v in value[1:]:  # stop at the first misfit: a ragged body costs no more than its first error
        if nested_shape(v, depth_limit - 1) != first:
            raise BadInput("inputs are ragged: sub-lists differ in length or depth")
    return [len(value), *first]


def parse_inputs(body, spec: dict, max_batch: int) -> np.ndarray:
    """Validate {"inputs": one example or a batch} against the model's input spec; return float32 batch."""
    if not isinstance(body, dict) or "inputs" not in body:
        raise BadInput('body must be a JSON object like {"inputs": [...]}')
    example = spec["shape"][1:]
    given = nested_shape(body["inputs"], len(example) + 1)
    shape, values = ([1, *given], [body["inputs"]]) if len(given) == len(example) else (given, body["inputs"])
    fits = len(shape) == len(example) + 1 and all(d is None or d == s for d, s in zip(example, shape[1:]))
    if not fits:
        want = "x".join("N" if d is None else str(d) for d in example)
        raise BadInput(f"inputs have shape {given}; input {spec['name']!r} takes [{want}] or a batch of them")
    if shape[0] > max_batch:
        raise BadInput(f"batch of {shape[0]} is over the limit of {max_batch}", 413)
    try:
        with np.errstate(over="ignore"):
            array = np.asarray(values, dtype=np.float64).astype(np.float32)
    except OverflowError:  # a JSON integer beyond float64 (e.g. 400 digits) parses to a Python int first
        array = np.array([np.inf], dtype=np.float32)
    if not np.isfinite(array).all():
        raise BadInput("inputs must be finite numbers (no NaN, Infinity, or values beyond float32 range)")
    return array


@bp.post("/predict/<name>")
def predict(name: str):
    """Python's prediction (the exported model's SavedModel) for one input or a batch."""
    meta = store().metadata(name)
    if len(meta["inputs"]) != 1:
        raise BadInput(f"model {name} takes {len(meta['inputs'])} inputs; this API predicts for one-input models", 422)
    spec, max_batch = meta["inputs"][0], current_app.config["MAX_BATCH"]
    inputs = parse_inputs(read_json_body(spec, max_batch), spec, max_batch)
    started = time.perf_counter()
    outputs = store().predict(name, meta, inputs)
    result = {"model": name, "outputs": outputs.tolist(), "ms": round(1000 * (time.perf_counter() - started), 3)}
    if meta.get("kind") == "classification":
        result["argmax"] = outputs.argmax(axis=-1).tolist()
        labels = meta.get("labels")
        if labels:
            result["labels"] = [labels[i] for i in result["argmax"]]
    if not all(math.isfinite(v) for v in outputs.ravel().tolist()):
        raise BadInput("the model produced non-finite outputs for these inputs", 422)
    return jsonify(result)
