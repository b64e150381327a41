"""The exported models as the server sees them: metadata, parity status, and their Python counterparts."""

import json
import re
import threading
from pathlib import Path

import numpy as np

from train import config as project

# Model names are folder names written by the exporter; anything else (../, /, %2e) is refused before any
# filesystem access, so requests cannot reach outside the models folder.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PARITY_REPORT = "parity-report.json"


class ModelError(Exception):
    """A request about a model that cannot be served; carries the HTTP status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Store:
    """Reads model folders on demand and caches loaded SavedModels by name and modification time."""

    def __init__(self, models_dir: Path, artifacts_dir: Path):
        self.models_dir = models_dir
        self.artifacts_dir = artifacts_dir
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[float, object]] = {}

    def names(self) -> list[str]:
        """Model folders that hold a metadata.json, sorted."""
        if not self.models_dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.models_dir.glob("*/metadata.json") if NAME.match(p.parent.name))

    def metadata(self, name: str) -> dict:
        """A model's metadata.json, or ModelError 404 (unknown) / 503 (unreadable)."""
        if not NAME.match(name) or name not in self.names():
            raise ModelError(404, f"unknown model {name[:64]!r}; known: {', '.join(self.names()) or 'none'}")
        path = self.models_dir / name / "metadata.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ModelError(503, f"model {name}: metadata.json unreadable ({err})") from None

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
            "input": meta.get("input"),
            "output": meta.get("output"),
            "labels": meta.get("labels"),
            "bytes": sum(f.get("bytes", 0) for f in meta.get("files", [])),
            "goldens": meta.get("golden", {}).get("count"),
            "training": meta.get("training", {}).get("final"),
            "python": self.saved_model_dir(name, meta).is_dir(),
        }

    def saved_model_dir(self, name: str, meta: dict) -> Path:
        """The model's Python counterpart: the SavedModel it was exported from (metadata says where)."""
        if meta.get("saved_model"):
            path = Path(meta["saved_model"])
            return path if path.is_absolute() else project.ROOT / path
        return self.artifacts_dir / name / "saved_model"

    def serving_fn(self, name: str, meta: dict):
        """The SavedModel's serving function, loaded once per version of the file."""
        path = self.saved_model_dir(name, meta)
        pb = path / "saved_model.pb"
        if not pb.is_file():
            raise ModelError(404, f"no Python model for {name} (looked in {path}): train it, e.g. `python -m train mlp`")
        mtime = pb.stat().st_mtime
        with self._lock:
            cached = self._loaded.get(name)
            if cached is None or cached[0] != mtime:
                import tensorflow as tf

                try:
                    fn = tf.saved_model.load(str(path)).signatures["serving_default"]
                except Exception as err:  # a corrupt SavedModel raises many TF error types
                    raise ModelError(503, f"model {name}: SavedModel unloadable ({type(err).__name__})") from None
                cached = self._loaded[name] = (mtime, fn)
        return cached[1]

    def predict(self, name: str, inputs: np.ndarray) -> np.ndarray:
        """Run the Python counterpart on a validated float32 batch."""
        meta = self.metadata(name)
        fn = self.serving_fn(name, meta)
        import tensorflow as tf

        result = fn(**{meta["input"]["name"]: tf.constant(inputs)})
        return result[meta["output"]["name"]].numpy()


def init_app(app) -> None:
    """Attach a Store for the app's folders (Flask tutorial's init_app pattern)."""
    app.extensions["store"] = Store(app.config["MODELS_DIR"], app.config["ARTIFACTS_DIR"])
