"""Helpers shared by test modules: run the project's entry points as a user would, and edit model folders."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from tfjs_bridge.common.paths import CHECKOUT


def user_env(**env) -> dict:
    """The environment a user would have (no verbosity overrides), plus env."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "TFJS_BRIDGE", "TF_CONFIG"))}
    return {**clean, **env}


def run(*args, timeout: int = 300, **env) -> subprocess.CompletedProcess:
    """Run `python -m ...` from the project root with the environment a user would have."""
    return subprocess.run([sys.executable, "-m", *args], cwd=CHECKOUT, capture_output=True, text=True,
                          env=user_env(**env), timeout=timeout)


class Background:
    """A `python ...` command run beside the tests (see conftest's lane) and read later; output goes to files."""

    def __init__(self, folder: Path, argv: list[str], name: str = "command", **env):
        self.folder, self.argv, self.name, self.env = Path(folder), argv, name, env
        self.proc, self.files, self.stopped = None, [], False
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the command unless it has started already (or the session is over)."""
        with self.lock:
            if self.proc is None and not self.stopped:
                self.files = [open(self.folder / f"{self.name}.{stream}", "w+") for stream in ("stdout", "stderr")]
                self.proc = subprocess.Popen(self.argv, cwd=CHECKOUT, env=user_env(**self.env), stdout=self.files[0],
                                             stderr=self.files[1], text=True)

    def run(self) -> None:
        """Start the command and wait for it to end (the lane's step)."""
        self.start()
        if self.proc is not None:
            self.proc.wait()

    def result(self, timeout: int) -> subprocess.CompletedProcess:
        """The command's outcome, starting it now if the lane has not reached it yet (killed past timeout)."""
        self.start()
        try:
            self.proc.wait(timeout=timeout)
            out, err = (f.seek(0) or f.read() for f in self.files)
        finally:
            self.stop()
        return subprocess.CompletedProcess(self.argv, self.proc.returncode, out, err)

    def stop(self) -> None:
        """Kill the command if it still runs and close its output; it will not start after this."""
        with self.lock:
            self.stopped = True
            if self.proc is not None:
                if self.proc.poll() is None:
                    self.proc.kill()
                self.proc.wait()
            for f in self.files:
                f.close()


def verify(*args, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the Node harness (`node verify/verify.js DIR... [options]`); no parity-report.json is left in temp folders."""
    return subprocess.run(["node", "verify/verify.js", *map(str, args), "--no-report"], cwd=CHECKOUT,
                          capture_output=True, text=True, timeout=timeout)


def verify_json(*args, timeout: int = 300) -> tuple[int, dict]:
    """The Node harness's exit code and its --json rows as {(folder, backend): row}."""
    result = verify(*args, "--json", timeout=timeout)
    assert result.stdout.strip(), result.stderr
    rows = json.loads(result.stdout)["rows"]
    return result.returncode, {(r["folder"], r["backend"]): r for r in rows}


def summary(stdout: str) -> dict:
    """The CLI's closing summary table as {row name: value}."""
    rows = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("  ")
        if sep and key and not key.startswith(" "):
            rows[key.strip()] = value.strip()
    return rows


def parity_rows(stdout: str, model: str) -> list[dict]:
    """The `npm run verify` table's rows for one model folder, as {column header: cell}."""
    lines = stdout.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("model "))
    # Headers contain single spaces ("max |Δ|"); columns are separated by two or more.
    header = re.split(r"\s{2,}", lines[header_at].strip())
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[header_at + 2:] if line.startswith(model + " ")]
    return [dict(zip(header, cells)) for cells in rows]


def read_json(path: Path):
    return json.loads(Path(path).read_text())


def write_json(path: Path, value) -> None:
    Path(path).write_text(json.dumps(value))


def edit_json(path: Path, edit) -> None:
    """Rewrite a JSON file through edit(value), which changes it in place."""
    value = read_json(path)
    edit(value)
    write_json(path, value)


def reseal_goldens(folder: Path) -> None:
    """Record goldens.json's current length and sha256 in metadata.json, as the exporter would have."""
    blob = (Path(folder) / "goldens.json").read_bytes()
    edit_json(Path(folder) / "metadata.json", lambda meta: meta["goldens"].update(
        bytes=len(blob), sha256=hashlib.sha256(blob).hexdigest()))


def edited_copy(good: Path, dest: Path, goldens=None, metadata=None) -> Path:
    """A copy of the model folder good at dest, with goldens.json (resealed) and metadata.json edited in place."""
    shutil.copytree(good, dest)
    if goldens:
        edit_json(dest / "goldens.json", goldens)
        reseal_goldens(dest)
    if metadata:
        edit_json(dest / "metadata.json", metadata)
    return dest


def golden_arrays(folder: Path):
    """(inputs, outputs) of a one-input, one-output model folder's goldens.json, as float32 arrays."""
    import numpy as np

    doc = read_json(Path(folder) / "goldens.json")
    (x,), (y,) = doc["inputs"].values(), doc["outputs"].values()
    return tuple(np.asarray(t["values"], np.float32).reshape(t["shape"]) for t in (x, y))


def shift_first_output(delta: float):
    """A goldens.json edit moving the first expected output value by delta."""
    def edit(goldens):
        next(iter(goldens["outputs"].values()))["values"][0] += delta
    return edit
