"""Helpers shared by test modules: run the project's entry points as a user would."""

import os
import re
import subprocess
import sys

from tfjs_bridge.common.paths import CHECKOUT


def user_env(**env) -> dict:
    """The environment a user would have (no verbosity overrides), plus env."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "TFJS_BRIDGE", "TF_CONFIG"))}
    return {**clean, **env}


def run(*args, timeout: int = 300, **env) -> subprocess.CompletedProcess:
    """Run `python -m ...` from the project root with the environment a user would have."""
    return subprocess.run([sys.executable, "-m", *args], cwd=CHECKOUT, capture_output=True, text=True,
                          env=user_env(**env), timeout=timeout)


def verify(models_dir, *options: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the Node harness (`npm run verify`) on a models folder, with extra options (e.g. --backends cpu)."""
    return subprocess.run(["node", "web/verify.js", "--models", str(models_dir), *options], cwd=CHECKOUT,
                          capture_output=True, text=True, timeout=timeout)


def summary(stdout: str) -> dict:
    """The CLI's closing summary table as {row name: value}."""
    rows = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("  ")
        if sep and key and not key.startswith(" "):
            rows[key.strip()] = value.strip()
    return rows


def parity_rows(stdout: str, model: str) -> list[dict]:
    """The `npm run verify` table's rows for one model, as {column header: cell}."""
    lines = stdout.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("model "))
    # Headers contain single spaces ("max |Δ|"); columns are separated by two or more.
    header = re.split(r"\s{2,}", lines[header_at].strip())
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[header_at + 2:] if line.startswith(model + " ")]
    return [dict(zip(header, cells)) for cells in rows]
