"""Command line for the export stage: artifacts or users' model files → web/models/<name>, with a summary table."""

import argparse
import sys
import time
from pathlib import Path

from train import config


def build_parser() -> argparse.ArgumentParser:
    """The `python -m export` parser."""
    parser = argparse.ArgumentParser(
        prog="python -m export",
        description="Convert models to tf.js graph or layers models with metadata and golden outputs "
        "(checked later by `npm run verify`).",
    )
    parser.add_argument(
        "models", nargs="*",
        help="model names under --artifacts (linear, mlp), artifact folders written by `python -m train`, "
        "SavedModel directories, or .keras / .h5 files (default: every model found under --artifacts)",
    )
    parser.add_argument("--artifacts", type=Path, default=config.ARTIFACTS, help="where trained models are (default: artifacts/)")
    parser.add_argument("--out", type=Path, default=config.WEB_MODELS, help="where tf.js models go (default: web/models/)")
    parser.add_argument("--format", choices=("auto", "graph", "layers", "both"), default="auto",
                        help="auto (default): layers for functional/sequential Keras models, graph otherwise; "
                        "the other format goes to <name>-<format>/")
    parser.add_argument("--quantize", action="append", metavar="MODE[=GLOB]",
                        help="float16, uint16 or uint8 for every float weight, or only for weight names matching "
                        "GLOB (repeatable, e.g. --quantize uint8='*/kernel')")
    parser.add_argument("--shard-size", type=int, default=4 * 1024 * 1024, metavar="BYTES",
                        help="largest weight shard in bytes (default: 4194304)")
    parser.add_argument("--golden-inputs", type=Path, metavar="FILE.npy",
                        help="inputs whose outputs tf.js must reproduce (default for model files: 16 seeded uniform [0, 1) rows)")
    parser.add_argument("--kind", choices=("classification", "regression"),
                        help="for model files: whether argmax agreement is checked (default: classification "
                        "when the output is [batch, k>=2])")
    parser.add_argument("--name", help="output folder name (one model, one format)")
    return parser


def resolve_models(names: list[str], root: Path) -> list[Path]:
    """Paths for the names given (artifact names under root, or paths), or every trained model under root."""
    if not names:
        return sorted(p.parent for p in root.glob("*/run.json"))
    return [Path(n) if ("/" in n or Path(n).exists()) and not (root / n).is_dir() else root / n for n in names]


def check_paths(args: argparse.Namespace) -> str | None:
    """What is wrong with --name, --out or --golden-inputs before any work starts, or None."""
    from web.store import NAME  # the folder names the web app serves

    if args.name is not None and not NAME.match(args.name):
        return f"--name {args.name!r} must be a plain folder name (letters, digits, '_', '.', '-'; 64 at most)"
    if args.out.exists() and not args.out.is_dir():
        return f"--out {args.out} exists and is not a folder"
    if args.golden_inputs is not None:
        if not args.golden_inputs.is_file():
            return f"--golden-inputs {args.golden_inputs}: no such file"
        if args.golden_inputs.suffix != ".npy":
            return f"--golden-inputs {args.golden_inputs}: expected a .npy file (numpy.save), got '{args.golden_inputs.suffix}'"
    return None


def print_table(rows: list[tuple]) -> None:
    """Fixed-width summary of what was written."""
    header = ("model", "format", "keras", "quant", "input", "bytes", "vs f32", "goldens", "s", "folder")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the process exit code (2 for bad input)."""
    args = build_parser().parse_args(argv)
    problem = check_paths(args)  # before TensorFlow is imported: bad paths fail fast
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from export.convert import export_source
    from export.keras_bridge import UnsupportedModelError
    from export.sources import ExportError, from_path
    from export.weights import parse_quantize

    paths = resolve_models(args.models, args.artifacts)
    if not paths:
        print(f"error: no trained models under {args.artifacts}: run `python -m train mlp` first", file=sys.stderr)
        return 2
    if args.name and len(paths) > 1:
        print("error: --name needs a single model", file=sys.stderr)
        return 2
    if args.shard_size <= 0:
        print("error: --shard-size must be a positive number of bytes", file=sys.stderr)
        return 2
    rows = []
    for path in paths:
        started = time.perf_counter()
        try:
            qmap = parse_quantize(args.quantize)
            source = from_path(path, args.golden_inputs, args.kind)
            metas = export_source(source, args.out, args.format, qmap, args.shard_size, folder=args.name)
        except (ExportError, UnsupportedModelError, ValueError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        for meta in metas:
            b = meta["bytes"]
            rows.append((meta["name"], meta["format"], meta["keras"] or "-", meta["quantization"] or "-",
                         str(meta["input"]["shape"]), f"{b['on_disk']:,}", f"{b['ratio']:.2f}", str(meta["golden"]["count"]),
                         f"{time.perf_counter() - started:.1f}", str(Path(args.out) / meta["name"])))
            if "accuracy" in meta:
                acc = meta["accuracy"]
                print(f"{meta['name']}: test accuracy {acc['float32']:.4f} float32 → {acc['exported']:.4f} "
                      f"{meta['quantization']} ({acc['change']:+.4f})")
    print_table(rows)
    return 0
