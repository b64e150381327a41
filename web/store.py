"""The exported models as the server sees them: metadata, parity status, and their Python counterparts."""

import json
import os
import stat
import threading
from pathlib import Path

import numpy as np

from tfjs_bridge.common import files, schema
from tfjs_bridge.common.contract import FOLDER_NAME, LIMITS, IntegrityError, verify_folder
from tfjs_bridge.web import counterparts
from tfjs_bridge.web.changes import Watcher

PARITY_REPORT = "parity-report.json"


class ModelError(Exception):
    """A request about a model that cannot be served; carries the HTTP status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def folder_key(folder: Path) -> tuple:
    """Identity of the folder and of its JSON files: changes whenever the folder is swapped or its JSON rewritten."""
    key = []
    for path in (folder, folder / "model.json", folder / schema.METADATA, folder / schema.GOLDENS):
        try:
            st = os.lstat(path)
            key.append((*files.identity(st), st.st_mode))
        except OSError:
            key.append(None)
    return tuple(key)


def folder_stamp(folder: Path) -> tuple:
    """Identity of every file in a folder (the fallback where inotify cannot watch it)."""
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted((e.name, files.identity(e.stat(follow_symlinks=False))) for e in entries))
    except OSError:
        return ()


def shown(name: str) -> str:
    """A folder name as JSON can carry it: bytes that are not UTF-8 shown as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Store:
    """Reads model folders on demand, caches their verdicts until a folder changes, and loads SavedModels by name."""

    def __init__(self, models_dir: Path, artifacts_dir: Path):
        self.models_dir = models_dir
        self.artifacts_dir = artifacts_dir
        self._counterparts = counterparts.Counterparts()
        # name → (folder key, change generation or every file's identity, metadata or refusal message)
        self._verified: dict[str, tuple[tuple, object, dict | str]] = {}
        self._checking: dict[str, threading.Lock] = {}
        self._watcher = Watcher(models_dir) if models_dir.is_dir() else None

    def names(self) -> list[str]:
        """Model folders (holding a metadata.json) and links to folders in the models root, sorted; never dot-folders."""
        try:
            entries = list(os.scandir(self.models_dir))
        except OSError:
            return []
        found = []
        for e in entries:
            if e.name.startswith("."):
                continue
            if e.is_symlink():
                if os.path.isdir(e.path):  # listed so that the refusal is shown, never read through
                    found.append(e.name)
            elif e.is_dir(follow_symlinks=False) and os.path.lexists(os.path.join(e.path, schema.METADATA)):
                found.append(e.name)
        return sorted(found)

    def _refusal(self, name: str) -> str | None:
        """Why a listed folder cannot be served at all (its name or its being a link), or None."""
        if not FOLDER_NAME.fullmatch(name):
            return f"folder {shown(name)!r} refused: its name must be letters, digits, '_', '.', '-' (64 at most); rename it"
        if os.path.islink(self.models_dir / name):
            return f"model {name} refused: {name} is a symbolic link; model folders must be real folders inside the models root"
        return None

    def metadata(self, name: str) -> dict:
        """A model's verified metadata.json, or ModelError 404 (unknown) / 503 (refused, naming the file)."""
        folder = self.models_dir / name
        # The same test names() applies, for one folder: no directory listing on every request.
        if not FOLDER_NAME.fullmatch(name) or not os.path.lexists(folder / schema.METADATA):
            raise ModelError(404, f"unknown model {name[:64]!r}; known: {', '.join(n for n in self.names() if FOLDER_NAME.fullmatch(n)) or 'none'}")
        refusal = self._refusal(name)
        if refusal:
            raise ModelError(503, refusal)
        cached = self._verified.get(name)
        if cached is None or (cached[0], cached[1]) != self._version(name, folder):
            with self._checking.setdefault(name, threading.Lock()):
                cached = self._verified.get(name)
                if self._watcher:
                    self._watcher.watch(name, folder)  # before checking: a change during the check counts
                version = self._version(name, folder)
                if cached is None or (cached[0], cached[1]) != version:
                    try:
                        result = verify_folder(folder)
                    except IntegrityError as err:
                        result = f"model {name} refused: {name}/{err}"
                    cached = self._verified[name] = (*version, result)
        if isinstance(cached[2], str):
            raise ModelError(503, cached[2])
        return cached[2]

    def version(self, name: str) -> tuple:
        """What changes whenever the named folder's verdict might (see _version); watched from now on."""
        folder = self.models_dir / name
        if self._watcher and self._watcher.generation(name) is None and self._refusal(name) is None:
            self._watcher.watch(name, folder)
        return self._version(name, folder)

    def _version(self, name: str, folder: Path) -> tuple:
        """What must be unchanged for a verdict to stand: the folder's and its JSON files' identities, and either
        inotify's change count for the folder or, where it is not watched, every file's identity."""
        generation = self._watcher.generation(name) if self._watcher else None
        return folder_key(folder), generation if generation is not None else folder_stamp(folder)

    def parity_version(self) -> tuple | None:
        """Identity of the parity report file (None when absent)."""
        try:
            return files.identity(os.lstat(self.models_dir / PARITY_REPORT))
        except OSError:
            return None

    def artifacts_version(self) -> tuple | None:
        """Identity of the artifacts root: a counterpart swapped in or removed changes it (the listing's "python")."""
        try:
            return files.identity(os.stat(self.artifacts_dir))
        except OSError:
            return None

    def parity_report(self) -> dict:
        """The last `npm run verify` results, by model then backend (empty if never run or unreadable)."""
        try:
            with files.folder(self.models_dir, self.models_dir.name, link_ok=True) as fd:
                report = json.loads(files.read_bounded(fd, PARITY_REPORT, LIMITS[schema.METADATA]))
        except (files.FileRefused, ValueError, RecursionError):
            return {}
        rows = report.get("rows") if isinstance(report, dict) else None
        by_model: dict[str, dict] = {}
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and isinstance(row.get("model"), str) and isinstance(row.get("backend"), str):
                by_model.setdefault(row["model"], {})[row["backend"]] = {
                    k: row.get(k) for k in ("pass", "maxAbsDiff", "tolerance", "argmaxAgreement", "error")
                }
        verified_at = report.get("verified_at")
        return {"verified_at": verified_at[:64] if isinstance(verified_at, str) else None, "models": by_model}

    def summary(self, name: str) -> dict:
        """What GET /api/models lists for one model (ModelError for a folder refused)."""
        refusal = self._refusal(name)
        if refusal:
            raise ModelError(503, refusal)
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
            "litert": "file" in (meta.get("litert") or {}),  # a model.tflite the page can run in LiteRT.js
        }

    def saved_model_dir(self, meta: dict) -> Path | None:
        """The model's Python counterpart, found by name inside the artifacts root only (no links out), or None."""
        name = meta["counterpart"]
        if name is None or not FOLDER_NAME.fullmatch(name):
            return None
        root = self.artifacts_dir.resolve()
        for path in (root / name / "saved_model", root / name):
            pb = path / "saved_model.pb"
            try:
                inside = pb.resolve().is_relative_to(root) and stat.S_ISREG(os.stat(pb).st_mode)
            except OSError:
                continue
            if inside:
                return path
        return None

    def serving_fn(self, name: str, meta: dict):
        """The SavedModel's serving function, loaded once per content and checked against meta (web/counterparts.py)."""
        path = self.saved_model_dir(meta)
        if path is None:
            raise ModelError(404, f"no Python model for {name}: its counterpart {meta['counterpart']!r} is not a "
                             f"SavedModel under {self.artifacts_dir.name}/ (serve --artifacts DIR)")
        token = json.dumps([meta["inputs"], meta["outputs"], meta["goldens"]["sha256"]])

        def check(fn):
            goldens = counterparts.read_goldens(self.models_dir / name, LIMITS[schema.GOLDENS])
            return counterparts.signature_problem(fn, meta) or counterparts.golden_problem(
                lambda inputs: counterparts.run(fn, meta, inputs), goldens, meta)
        try:
            return self._counterparts.get(name, path, token, check)
        except counterparts.Refused as err:
            raise ModelError(503, f"model {name}: {err}") from None

    def predict(self, name: str, meta: dict, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the Python counterpart (of the model whose verified metadata is meta) on validated batches, by input name."""
        fn = self.serving_fn(name, meta)
        try:
            return counterparts.run(fn, meta, inputs)
        except Exception as err:  # TF's many error types; the signature was checked, so these inputs are the cause
            raise ModelError(422, f"model {name}: its SavedModel could not run these inputs ({type(err).__name__}: "
                             f"{(str(err).splitlines() or [''])[0][:160]})") from None

    def preload(self) -> tuple[int, int]:
        """Verify every model folder and load its counterpart (the server starts this in the background); return
        (counterparts ready, model folders)."""
        names, ready = self.names(), 0
        for name in names:
            try:
                self.serving_fn(name, self.metadata(name))
                ready += 1
            except ModelError:
                pass  # a request for it gets the same refusal, cached
        return ready, len(names)


def init_app(app) -> None:
    """Attach a Store for the app's folders (Flask tutorial's init_app pattern)."""
    app.extensions["store"] = Store(app.config["MODELS_DIR"], app.config["ARTIFACTS_DIR"])
