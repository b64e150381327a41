"""Exports that die (SIGKILL at several moments, or an error mid-write) never leave a visible half-written model."""

import concurrent.futures
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfjs_bridge.common.contract import verify_folder
from tfjs_bridge.common.paths import CHECKOUT

# When to kill `python -m export`: seconds after start (still importing TensorFlow), or after its hidden temp
# folder appears (converting, writing shards, writing metadata, swapping in); last, one run left to finish.
KILLS = [("start", 1.0), ("temp", 0.0), ("temp", 0.1), ("temp", 0.3), ("temp", 0.8), ("end", 0.0)]


def visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def exported_at(folder: Path) -> str:
    return json.loads((folder / "metadata.json").read_text())["exported_at"]


def kill_export(artifact: Path, out: Path, anchor: str, delay: float) -> int | None:
    """Start `python -m export`, SIGKILL it `delay` s after the anchor moment; its exit code if it finished first."""
    proc = subprocess.Popen([sys.executable, "-m", "export", str(artifact), "--out", str(out)], cwd=CHECKOUT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while anchor == "temp" and proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(".linear.tfjs-bridge-tmp-") for p in out.iterdir()):
            break
        time.sleep(0.002)
    if anchor == "end":
        proc.wait(timeout=120)
    time.sleep(delay)
    finished = proc.poll()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return finished


def kill_in_own_folder(artifact: Path, good: Path, out: Path, anchor: str, delay: float) -> tuple:
    """One kill against its own copy of the previous export: (exit code if finished, visible names, kept or swapped).

    A folder per kill: a killed export leaves its hidden temp folder behind, which would trip the next run's
    "temp folder appeared" anchor before that run had even started converting.
    """
    shutil.copytree(good, out / "linear")
    finished = kill_export(artifact, out, anchor, delay)
    names = visible(out)
    if names == ["linear"]:
        verify_folder(out / "linear")  # complete: model.json, metadata, goldens and every shard agree
    return finished, names, "old" if exported_at(out / "linear") == exported_at(good) else "new"


@pytest.mark.slow
def test_sigkill_during_export_leaves_old_or_new_complete_folder(artifacts, exported, tmp_path):
    # Two kills at a time: each process mostly imports TensorFlow on one core, so pairs share the 2 cores.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda i: kill_in_own_folder(artifacts / "linear", exported / "linear", tmp_path / f"out{i}",
                                                          *KILLS[i]), range(len(KILLS))))
    outcomes = {"old": 0, "new": 0}
    for (anchor, delay), (finished, names, outcome) in zip(KILLS, runs):
        assert finished in (None, 0)
        assert names == ["linear"], (anchor, delay, names)
        outcomes[outcome] += 1
    print(f"{len(KILLS) - 1} SIGKILLs during export and 1 completed run: kept the previous complete folder {outcomes['old']}x, "
          f"the new complete one {outcomes['new']}x; never a visible partial folder")
    assert outcomes["old"] >= 2  # the kills really landed mid-export, not after it finished
    assert runs[-1][2] == "new"  # and the run left to finish swapped its complete folder in


def test_failed_export_keeps_the_previous_model(artifacts, exported, tmp_path, monkeypatch):
    from tfjs_bridge.export import convert
    from tfjs_bridge.export.sources import from_artifact

    shutil.copytree(exported / "linear", tmp_path / "linear")
    before = {p.name: p.read_bytes() for p in (tmp_path / "linear").iterdir()}

    def dies_after_writing_shards(*args, **kwargs):
        raise RuntimeError("converter died half way")

    monkeypatch.setattr(convert, "build_metadata", dies_after_writing_shards)
    with pytest.raises(RuntimeError, match="half way"):
        convert.export_source(from_artifact(artifacts / "linear"), tmp_path)
    assert {p.name: p.read_bytes() for p in (tmp_path / "linear").iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["linear"]
