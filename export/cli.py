"""Command line for the export stage: artifacts/<name> → web/models/<name>, with a summary table."""

import argparse
import sys
import time
from pathlib import Path

from train import config


def build_parser() -> argparse.ArgumentParser:
    """The `python -m export` parser."""
    parser = argparse.ArgumentParser(
        prog="python -m export",
        description="Convert trained models to tf.js graph models with metadata and golden outputs "
        "(checked later by `npm run verify`).",
    )
    parser.add_argument(
        "models", nargs="*",
        help="model names under --artifacts (linear, mlp) or artifact folders written by `python -m train` "
        "(default: every model found under --artifacts)",
    )
    parser.add_argument("--artifacts", type=Path, default=config.ARTIFACTS, help="where trained models are (default: artifacts/)")
    parser.add_argument("--out", type=Path, default=config.WEB_MODELS, help="where tf.js models go (default: web/models/)")
    return parser


def resolve_artifacts(names: list[str], root: Path) -> list[Path]:
    """Artifact folders for the names given, or every trained model under root when none are."""
    if not names:
        return sorted(p.parent for p in root.glob("*/run.json"))
    return [Path(n) if ("/" in n or Path(n).is_dir()) and not (root / n).is_dir() else root / n for n in names]


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the process exit code (2 for bad input)."""
    args = build_parser().parse_args(argv)
    from export.convert import ExportError, export_artifact

    artifacts = resolve_artifacts(args.models, args.artifacts)
    if not artifacts:
        print(f"error: no trained models under {args.artifacts}: run `python -m train mlp` first", file=sys.stderr)
        return 2
    rows = []
    for artifact in artifacts:
        started = time.perf_counter()
        try:
            meta = export_artifact(artifact, args.out)
        except (ExportError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        size = sum(f["bytes"] for f in meta["files"])
        rows.append((meta["name"], meta["format"], str(meta["input"]["shape"]), f"{size:,}",
                     str(meta["golden"]["count"]), f"{time.perf_counter() - started:.1f}", str(Path(args.out) / meta["name"])))
    header = ("model", "format", "input", "weight bytes", "goldens", "s", "folder")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0
