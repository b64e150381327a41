"""The README's support table from a run of the suite: `python -m tests.suite.table [ARTIFACTS_SUITE]` prints Markdown.

Runs the Node harness once over artifacts/suite/models (built by `make suite`) and reads exports.json.
"""

import json
import sys
from pathlib import Path

from tests.suite.models import CASES, EXPECTED_LIMITS, LIMITS
from tfjs_bridge.verify.node import run_harness


def harness_rows(models: Path) -> dict:
    """{(folder, backend): row} from one `tfjs-bridge verify --json` run."""
    result = run_harness([str(models), "--json", "--no-report"], capture=True)
    return {(r["model"], r["backend"]): r for r in json.loads(result.stdout)["rows"]}


def cell(row: dict | None, limit: str | None) -> str:
    """pass with max |Δ|, the named tf.js limitation, or FAIL with why."""
    if row is None:
        return "-"
    if row.get("pass"):
        return f"pass {row['maxAbsDiff']:.1e}"
    if limit and LIMITS[limit][1](row):
        return f"✗ {LIMITS[limit][0]}"
    return f"FAIL {row.get('error') or 'max |Δ| ' + str(row.get('maxAbsDiff'))}"


def markdown(root: Path) -> str:
    """The support table and the refusals, as Markdown."""
    records = json.loads((root / "exports.json").read_text())
    rows = harness_rows(root / "models")
    kinds = {c.name: c.kind for c in CASES}
    lines = ["| model | export | format | rules | cpu | wasm |", "|---|---|---|---|---|---|"]
    refusals = []
    for rec in records:
        folder = rec["folder"]
        if rec["exit"] != 0:
            refusals.append(f"- {kinds[rec['case']]} (`{' '.join(rec['args']) or 'auto'}`): "
                            f"`{rec['stderr'][-1].removeprefix('error: ')}` (exit {rec['exit']})")
            continue
        meta = json.loads((root / "models" / folder / "metadata.json").read_text())
        quant = (meta["quantization"] or {}).get("dtype")
        label = f"{meta['format']}" + (f" {quant}" if quant else "")
        cells = [cell(rows.get((folder, b)), EXPECTED_LIMITS.get((folder, b))) for b in ("cpu", "wasm")]
        rules = ", ".join(f"{r['rule']}×{r['count']}" for r in meta.get("compat", [])) or "-"
        lines.append(f"| {kinds[rec['case']]} | `{folder}` | {label} | {rules} | {cells[0]} | {cells[1]} |")
    return "\n".join([*lines, "", "Refused, in one line with exit 2:", "", *refusals]) + "\n"


if __name__ == "__main__":
    print(markdown(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("artifacts") / "suite"), end="")
