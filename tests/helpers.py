"""Helpers shared by test modules: run the project's entry points as a user would."""

import os
import subprocess
import sys

from train import config


def user_env(**env) -> dict:
    """The environment a user would have (no verbosity overrides), plus env."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "TFJS_BRIDGE", "TF_CONFIG"))}
    return {**clean, **env}


def run(*args, timeout: int = 300, **env) -> subprocess.CompletedProcess:
    """Run `python -m ...` from the project root with the environment a user would have."""
    return subprocess.run([sys.executable, "-m", *args], cwd=config.ROOT, capture_output=True, text=True,
                          env=user_env(**env), timeout=timeout)


def verify(models_dir) -> subprocess.CompletedProcess:
    """Run the Node harness (`npm run verify`) on a models folder."""
    return subprocess.run(["node", "web/verify.js", "--models", str(models_dir)], cwd=config.ROOT,
                          capture_output=True, text=True, timeout=300)


def summary(stdout: str) -> dict:
    """The CLI's closing summary table as {row name: value}."""
    rows = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("  ")
        if sep and key and not key.startswith(" "):
            rows[key.strip()] = value.strip()
    return rows
