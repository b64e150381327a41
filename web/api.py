"""JSON API: the models on offer and Python's prediction for an input; every error is 4xx JSON."""

import json
import math
import time

import numpy as np
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from tfjs_bridge.web.store import ModelError, shown

bp = Blueprint("api", __name__, url_prefix="/api")


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
    """Werkzeug's HTML error pages, as JSON for API clients (app-wide: unrouted /api/ paths 404 or 405 outside bp)."""
    if not request.path.startswith(bp.url_prefix + "/"):
        return err
    return jsonify(error=err.description, status=err.code), err.code


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


def read_json_body() -> object:
    """The request body as JSON, refusing other content types and malformed or over-deep documents."""
    if not request.is_json:
        raise BadInput("send a JSON body with Content-Type: application/json", 415)
    try:
        return json.loads(request.get_data(cache=False) or b"")
    except RecursionError:
        raise BadInput("JSON nested too deeply") from None
    except ValueError as err:
        raise BadInput(f"body is not valid JSON: {err}") from None


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
    shapes = [nested_shape(v, depth_limit - 1) for v in value]
    if any(s != shapes[0] for s in shapes):
        raise BadInput("inputs are ragged: sub-lists differ in length or depth")
    return [len(value), *shapes[0]]


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
    inputs = parse_inputs(read_json_body(), meta["inputs"][0], current_app.config["MAX_BATCH"])
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
