"""The models' Python counterparts (SavedModels): loaded once per content, checked against the metadata that serves
them, and warmed at server start, so a request never waits for a load it could have been spared nor gets a 500.

A counterpart is keyed by what its files are, not by name and mtime: the identity (device, inode, size, mtime_ns) and
sha256 of saved_model.pb and variables/variables.index, so a re-export with the same mtime (tar, zip, rsync -t)
is a new key. Before it serves, its serving signature must take the metadata's inputs (names, dtypes, shapes) and
give its outputs, and it must reproduce the golden examples (the Python outputs recorded at export): a
SavedModel retrained and not re-exported fails there. A refusal is cached like a success, per key.
"""

import json
import os
import threading
from pathlib import Path

import numpy as np

from tfjs_bridge.common import files

# Agreement with the recorded goldens: the same SavedModel on the same CPU reproduces them to ~1e-7; a retrained
# model differs by far more. Loose enough for another CPU's kernels (float32), tight enough for any retraining.
GOLDEN_ATOL, GOLDEN_RTOL = 1e-4, 1e-3
CONTENT_FILES = ("saved_model.pb", "variables/variables.index")
MAX_PB_BYTES = 2 * 1024**3  # protobuf's own limit on a SavedModel graph


class Refused(Exception):
    """A counterpart that cannot serve this metadata; the message names the field (HTTP 503)."""


def content_key(path: Path) -> tuple:
    """What the SavedModel's files are: identity and sha256 of its graph and of its variables' index."""
    key = []
    for rel in CONTENT_FILES:
        file = Path(os.path.realpath(path / rel))
        try:
            with open(file, "rb") as handle:  # the user's own SavedModel (trusted): hashed through the open file
                st = os.fstat(handle.fileno())
                key.append((*files.identity(st), files.sha256_open(handle, st)))
        except (OSError, files.FileRefused):
            key.append(None)  # a SavedModel without variables, or a file that vanished: loading says which
    return tuple(key)


def _shape_text(dims) -> str:
    return "[" + ", ".join("None" if d is None else str(d) for d in dims) + "]"


def signature_problem(fn, meta: dict) -> str | None:
    """Where the serving signature disagrees with metadata.json's inputs and outputs, or None."""
    _, takes = fn.structured_input_signature
    gives = fn.structured_outputs
    wanted = [spec["name"] for spec in meta["inputs"]]
    if sorted(takes) != sorted(wanted):
        return f"metadata.json inputs {wanted} but the SavedModel takes {sorted(takes)}"
    for spec in meta["inputs"]:
        problem = spec_problem("input", spec, takes[spec["name"]])
        if problem:
            return problem
    for spec in meta["outputs"]:
        if spec["name"] not in gives:
            return f"metadata.json output {spec['name']!r} is not among the SavedModel's outputs {sorted(gives)}"
        problem = spec_problem("output", spec, gives[spec["name"]])
        if problem:
            return problem
    return None


def spec_problem(kind: str, spec: dict, tensor) -> str | None:
    """Where one metadata input or output disagrees with the signature's tensor spec (dtype, rank, fixed sizes)."""
    dtype = tensor.dtype.name
    if dtype != spec["dtype"]:
        return f"metadata.json {kind} {spec['name']!r} dtype {spec['dtype']} but the SavedModel's is {dtype}"
    dims = tensor.shape.as_list() if tensor.shape.rank is not None else None
    shape = spec.get("shape")
    if dims is None or shape is None:
        return None
    if len(dims) != len(shape) or any(a is not None and b is not None and a != b for a, b in zip(shape, dims, strict=True)):
        return (f"metadata.json {kind} {spec['name']!r} shape {_shape_text(shape)} but the SavedModel's is "
                f"{_shape_text(dims)}")
    if kind == "input" and any(a is None and b is not None for a, b in zip(shape, dims, strict=True)):
        return (f"metadata.json input {spec['name']!r} shape {_shape_text(shape)} leaves a size free that the "
                f"SavedModel fixes ({_shape_text(dims)})")
    return None


def golden_arrays(goldens: dict, meta: dict) -> tuple[dict, dict]:
    """(inputs, expected outputs) of the golden examples, as arrays by name (the whole batch: a model may mix rows)."""
    def array(record: dict) -> np.ndarray:
        dtype = object if record["dtype"] == "string" else record["dtype"]
        return np.asarray(record["values"], dtype=dtype).reshape(record["shape"])
    ins = {s["name"]: array(goldens["inputs"][s["name"]]) for s in meta["inputs"]}
    outs = {s["name"]: array(goldens["outputs"][s["name"]]) for s in meta["outputs"] if s["name"] in goldens.get("outputs", {})}
    return (ins, outs) if goldens.get("count") else ({}, {})


def golden_problem(run, goldens: dict, meta: dict) -> str | None:
    """Where the counterpart's answers for the golden examples differ from those recorded at export, or None."""
    try:
        inputs, expected = golden_arrays(goldens, meta)
    except (KeyError, TypeError, ValueError):
        return None  # goldens the verified metadata vouches for but this check cannot read: the harness judges them
    if not inputs:
        return None
    got = run(inputs)
    for name, want in expected.items():
        have = np.asarray(got[name])
        if have.shape != want.shape:
            return f"output {name!r} has shape {list(have.shape)} for the goldens, goldens.json records {list(want.shape)}"
        close = (np.allclose(have.astype(np.float64), want.astype(np.float64), atol=GOLDEN_ATOL, rtol=GOLDEN_RTOL)
                 if want.dtype.kind in "fiub" else (have.astype(str) == want.astype(str)).all())
        if not close:
            worst = float(np.max(np.abs(have.astype(np.float64) - want.astype(np.float64)))) if want.dtype.kind in "fiub" else None
            return (f"output {name!r} differs from goldens.json for the golden examples"
                    f"{f' (max |diff| {worst:.3g})' if worst is not None else ''}: the SavedModel was changed or "
                    "retrained after export: re-export it")
    return None


def read_goldens(folder: Path, limit: int) -> dict:
    """The model folder's goldens.json (already verified against its metadata), or {} if unreadable."""
    try:
        with files.folder(folder, folder.name) as fd:
            return json.loads(files.read_bounded(fd, "goldens.json", limit))
    except (files.FileRefused, OSError, ValueError, RecursionError):
        return {}


class Counterparts:
    """Serving functions by model name, each loaded once per content key, with its check's verdict."""

    def __init__(self):
        # One load at a time: tf.saved_model.load in two threads at once can fail (AttributeError seen in tf 2.19).
        self._loading = threading.Lock()
        self._loaded: dict[str, tuple[tuple, object]] = {}  # name → (content key, serving function or refusal)

    def get(self, name: str, path: Path, token: str, check):
        """The serving function of the SavedModel at path, loaded and checked (check(fn) → problem or None) once per
        content key and metadata token; Refused naming the problem. Loads run one at a time."""
        key = (content_key(path), token)
        cached = self._loaded.get(name)
        if cached is None or cached[0] != key:
            with self._loading:
                cached = self._loaded.get(name)
                if cached is None or cached[0] != key:
                    cached = self._loaded[name] = (key, load_checked(path, check))
        if isinstance(cached[1], str):
            raise Refused(cached[1])
        return cached[1]


def run(fn, meta: dict, inputs: dict) -> dict:
    """The serving function's outputs (arrays by metadata output name) for validated batches by input name."""
    from tfjs_bridge.common.quiet import tf

    feed = {spec["name"]: tf.constant(inputs[spec["name"]], dtype=spec["dtype"]) for spec in meta["inputs"]}
    result = fn(**feed)
    return {out["name"]: result[out["name"]].numpy() for out in meta["outputs"]}


def load_checked(path: Path, check) -> object:
    """The first serving function at path (serving_default, then the others by name) that check passes, else the
    refusal message of serving_default (or of the first signature)."""
    from tfjs_bridge.common.quiet import tf

    try:
        signatures = tf.saved_model.load(str(path)).signatures
    except Exception as err:  # a corrupt SavedModel raises many TF error types
        return f"SavedModel unloadable ({type(err).__name__})"
    names = sorted(signatures, key=lambda n: (n != "serving_default", n))
    if not names:
        return "SavedModel has no signatures"
    problems = []
    for name in names:
        fn = signatures[name]
        try:
            problem = check(fn)
        except Exception as err:  # the golden run failed: the signature cannot take what metadata describes
            problem = f"SavedModel fails on the golden examples ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
        if problem is None:
            return fn
        problems.append(problem if len(names) == 1 else f"{problem} (signature {name!r})")
    return problems[0]
