"""The proof export asks for (the dispatcher's `prove` hook): one model folder's rows on cpu and wasm, from the Node harness.

`export --format auto` writes candidate folders (layers, graph, graph with more compatibility rules) and ships
the first one tf.js runs correctly on every backend; this module is how it asks, so that export never imports
the verify stage.
"""

import json
from pathlib import Path

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.verify.node import harness, run_harness

BACKENDS = ("cpu", "wasm")


def missing() -> str | None:
    """Why no proof can be made here (no Node, or no tf.js for Node), or None when it can."""
    try:
        harness()
    except UserError as err:
        return str(err)
    return None


def prove(folder: Path) -> list[dict]:
    """The harness's rows for one model folder (one per backend: pass, error, maxAbsDiff, tolerance, ...)."""
    result = run_harness([str(folder), "--backends", ",".join(BACKENDS), "--json", "--no-report"], capture=True)
    try:
        return json.loads(result.stdout)["rows"]
    except (ValueError, KeyError, TypeError):
        raise UserError(f"the Node harness failed (exit {result.returncode}) on {Path(folder).name}: "
                        f"{(result.stderr.strip() or result.stdout.strip() or 'no output').splitlines()[-1]}") from None
