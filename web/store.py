"""The exported models as the server sees them: metadata, parity status, and their Python counterparts."""

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

from tfjs_bridge.common import schema
from tfjs_bridge.common.paths import NAME

PARITY_REPORT = "parity-report.json"


class ModelError(Exception):
    """A request about a model that cannot be served; carries the HTTP status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class IntegrityError(Exception):
    """A model folder whose files disagree with each other; the message names the file and the problem."""


def read_json(path: Path) -> object:
    """Parse a JSON file; IntegrityError naming it when missing, unreadable or malformed."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise IntegrityError(f"{path.name}: missing") from None
    except OSError as err:
        raise IntegrityError(f"{path.name}: cannot read ({err.strerror})") from None
    except ValueError as err:
        raise IntegrityError(f"{path.name}: invalid JSON ({err})") from None


def shard_paths(model_json: object) -> list[str]:
    """The shard files model.json's weightsManifest names, refusing a manifest of the wrong shape."""
    manifest = model_json.get("weightsManifest") if isinstance(model_json, dict) else None
    groups_ok = isinstance(manifest, list) and all(
        isinstance(g, dict) and isinstance(g.get("paths"), list) and isinstance(g.get("weights"), list)
        and all(isinstance(p, str) for p in g["paths"]) for g in manifest)
    if not groups_ok:
        raise IntegrityError("model.json: weightsManifest is missing or malformed")
    return [p for g in manifest for p in g["paths"]]


def check_file(folder: Path, record: dict, what: str = "weight shard") -> None:
    """One file against its metadata record: a plain file in the folder, of the recorded length and sha256."""
    rel = record["path"]
    if Path(rel).name != rel or rel.startswith("."):
        raise IntegrityError(f"metadata.json: {what} path {rel!r} is not a file name in the model folder")
    try:
        data = (folder / rel).read_bytes()
    except OSError as err:
        raise IntegrityError(f"{rel}: {what} missing ({err.strerror})") from None
    if len(data) != record.get("bytes"):
        raise IntegrityError(f"{rel}: {len(data)} bytes, metadata says {record.get('bytes')} (truncated or replaced)")
    if hashlib.sha256(data).hexdigest() != record.get("sha256"):
        raise IntegrityError(f"{rel}: sha256 mismatch, the {what}'s bytes were altered")


def verify_folder(folder: Path) -> dict:
    """The folder's metadata once model.json, metadata.json, goldens.json and every shard agree (as artifacts.js checks)."""
    model_json = read_json(folder / "model.json")
    meta = read_json(folder / schema.METADATA)
    try:
        schema.validate(meta)
    except schema.SchemaError as err:
        raise IntegrityError(str(err)) from None
    named = shard_paths(model_json)
    files = meta["files"]
    recorded = [f["path"] for f in files]
    for p in named:
        if p not in recorded:
            raise IntegrityError(f"metadata.json: does not list shard {p} that model.json names")
    for p in recorded:
        if p not in named:
            raise IntegrityError(f"metadata.json: lists shard {p} that model.json does not name")
    for record in files:
        check_file(folder, record)
    check_file(folder, meta["goldens"], "goldens file")
    return meta


def folder_stamp(folder: Path) -> tuple:
    """Name, size and mtime of every file in a folder: changes whenever any file is rewritten."""
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.is_file()))
    except OSError:
        return ()


class Store:
    """Reads model folders on demand and caches loaded SavedModels by name and modification time."""

    def __init__(self, models_dir: Path, artifacts_dir: Path):
        self.models_dir = models_dir
        self.artifacts_dir = artifacts_dir
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[float, object]] = {}
        self._verified: dict[str, tuple[tuple, dict | str]] = {}

    def names(self) -> list[str]:
        """Model folders that hold a metadata.json, sorted."""
        if not self.models_dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.models_dir.glob("*/metadata.json") if NAME.match(p.parent.name))

    def metadata(self, name: str) -> dict:
        """A model's verified metadata.json, or ModelError 404 (unknown) / 503 (files broken, naming the file)."""
        folder = self.models_dir / name
        # The same test names() applies, for one folder: no directory listing on every request.
        if not NAME.match(name) or not (folder / "metadata.json").is_file():
            raise ModelError(404, f"unknown model {name[:64]!r}; known: {', '.join(self.names()) or 'none'}")
        stamp = folder_stamp(folder)
        cached = self._verified.get(name)
        # Hashing shards per request would cost more than predicting: re-verify only when a file changed.
        if cached is None or cached[0] != stamp:
            try:
                result = verify_folder(folder)
            except IntegrityError as err:
                result = f"model {name} refused: {name}/{err}"
            cached = self._verified[name] = (stamp, result)
        if isinstance(cached[1], str):
            raise ModelError(503, cached[1])
        return cached[1]

    def parity_report(self) -> dict:
        """The last `npm run verify` results, by model then backend (empty if never run)."""
        try:
            report = json.loads((self.models_dir / PARITY_REPORT).read_text())
        except (OSError, ValueError):
            return {}
        by_model: dict[str, dict] = {}
        for row in report.get("rows", []):
            by_model.setdefault(row.get("model"), {})[row.get("backend")] = {
                k: row.get(k) for k in ("pass", "maxAbsDiff", "tolerance", "argmaxAgreement", "error")
            }
        return {"verified_at": report.get("verified_at"), "models": by_model}

    def summary(self, name: str) -> dict:
        """What GET /api/models lists for one model."""
        meta = self.metadata(name)
        return {
            "name": name,
            "format": meta.get("format"),
            "kind": meta.get("kind"),
            "quantization": meta.get("quantization"),
            "inputs": meta["inputs"],
            "outputs": meta["outputs"],
            "labels": meta["labels"],
            "bytes": meta["bytes"]["on_disk"],
            "goldens": meta["goldens"]["count"],
            "training": (meta["training"] or {}).get("final"),
            "python": self.saved_model_dir(meta) is not None,
        }

    def saved_model_dir(self, meta: dict) -> Path | None:
        """The model's Python counterpart, found by name inside the artifacts root only, or None."""
        name = meta["counterpart"]
        if name is None or not NAME.match(name):
            return None
        for path in (self.artifacts_dir / name / "saved_model", self.artifacts_dir / name):
            if (path / "saved_model.pb").is_file():
                return path
        return None

    def serving_fn(self, name: str, meta: dict):
        """The SavedModel's serving function, loaded once per version of the file."""
        path = self.saved_model_dir(meta)
        if path is None:
            raise ModelError(404, f"no Python model for {name}: its counterpart {meta['counterpart']!r} is not a "
                             f"SavedModel under {self.artifacts_dir.name}/ (serve --artifacts DIR)")
        pb = path / "saved_model.pb"
        mtime = pb.stat().st_mtime
        with self._lock:
            cached = self._loaded.get(name)
            if cached is None or cached[0] != mtime:
                from tfjs_bridge.common.quiet import tf

                try:
                    fn = tf.saved_model.load(str(path)).signatures["serving_default"]
                except Exception as err:  # a corrupt SavedModel raises many TF error types
                    raise ModelError(503, f"model {name}: SavedModel unloadable ({type(err).__name__})") from None
                cached = self._loaded[name] = (mtime, fn)
        return cached[1]

    def predict(self, name: str, meta: dict, inputs: np.ndarray) -> np.ndarray:
        """Run the Python counterpart (of the model whose verified metadata is meta) on a validated float32 batch."""
        fn = self.serving_fn(name, meta)
        from tfjs_bridge.common.quiet import tf

        (spec,), (out,) = meta["inputs"], meta["outputs"]
        return fn(**{spec["name"]: tf.constant(inputs)})[out["name"]].numpy()


def init_app(app) -> None:
    """Attach a Store for the app's folders (Flask tutorial's init_app pattern)."""
    app.extensions["store"] = Store(app.config["MODELS_DIR"], app.config["ARTIFACTS_DIR"])
