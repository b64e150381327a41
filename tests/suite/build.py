"""Build the model suite (tests/suite/models.py) and export it: `python -m tests.suite.build [OUT] [CASE ...]`.

OUT (default artifacts/suite) gets sources/<case>/ (the saved models), models/<case>-<export>/ (model folders)
and exports.json: for every export, the arguments, exit code and what the exporter said on stderr. Exports run
through the command line's own entry point, so refusals are checked as users see them (one line, exit 2).
"""

import contextlib
import io
import json
import shutil
import sys
import time
from pathlib import Path

from tfjs_bridge.common.quiet import quiet_tensorflow

RESULTS = "exports.json"


def export(source: Path, out: Path, folder: str, args: list[str]) -> dict:
    """Run `tfjs-bridge export` in process, through the dispatcher (so auto exports are decided by proof in tf.js);
    its exit code and stderr lines."""
    from tfjs_bridge.cli import run

    err = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run("export", [str(source), "--out", str(out), "--name", folder, *args])
    return {"folder": folder, "args": args, "exit": code, "stderr": err.getvalue().splitlines(),
            "seconds": round(time.perf_counter() - started, 1)}


def build(root: Path, names: list[str] | None = None) -> list[dict]:
    """Build and export every case (or those named) under root; return the export records."""
    from tests.suite.models import CASES

    records = []
    for case in CASES:
        if names and case.name not in names:
            continue
        sources = root / "sources" / case.name
        shutil.rmtree(sources, ignore_errors=True)
        sources.mkdir(parents=True)
        path = case.build(sources)
        for suffix, args in case.exports.items():
            record = export(path, root / "models", f"{case.name}-{suffix}", args)
            record.update(case=case.name, kind=case.kind, export=suffix, expect_refusal=case.refused.get(suffix))
            print(f"{record['folder']}: exit {record['exit']} in {record['seconds']}s"
                  + "".join(f"\n  {line}" for line in record["stderr"]), file=sys.stderr)
            records.append(record)
    return records


def main(argv: list[str]) -> int:
    """Entry point."""
    quiet_tensorflow()
    root = Path(argv[0]) if argv else Path("artifacts") / "suite"
    names = argv[1:]
    if not names:
        shutil.rmtree(root / "models", ignore_errors=True)
    records = build(root, names)
    results = root / RESULTS
    if names and results.is_file():  # a partial rebuild keeps the other cases' records
        kept = [r for r in json.loads(results.read_text()) if r["case"] not in names]
        records = kept + records
    results.write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
