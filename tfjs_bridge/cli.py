"""`tfjs-bridge`: one command whose subcommands mirror the pipeline (train → export → verify → serve).

Each subcommand is the stage's own command line (its `main(argv, prog)`), imported only when chosen, so
`--help`, `--version` and argument errors answer without importing TensorFlow.
"""

import argparse
import importlib
import sys

import tfjs_bridge

# subcommand → (module with main(argv, prog), arguments put in front, one-line summary)
COMMANDS = {
    "train": ("tfjs_bridge.train.cli", [], "train the project's models (linear, mlp, mobilenet) with GradientTape loops"),
    "export": ("tfjs_bridge.export.cli", [], "convert a .keras/.h5 file, SavedModel or artifact into a tf.js model folder"),
    "verify": ("tfjs_bridge.verify_cli", [], "check in Node (cpu, wasm) that tf.js reproduces Python's outputs"),
    "serve": ("tfjs_bridge.web.serve", [], "serve model folders: a page with tf.js and Python side by side, a JSON API"),
    "bench": ("tfjs_bridge.bench.cli", [], "measure training, inference and export (from a checkout)"),
    "devices": ("tfjs_bridge.train.cli", ["devices"], "list CPUs/GPUs; --virtual-devices N splits one into N"),
    "tape-demo": ("tfjs_bridge.train.cli", ["tape-demo"], "the GradientTape examples: watch and persistent tapes"),
    "setup-node": ("tfjs_bridge.verify_cli", ["--setup-node"], "install tf.js for Node (npm registry) where no checkout has it"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: a subcommand and whatever follows it (parsed by the subcommand itself)."""
    parser = argparse.ArgumentParser(
        prog="tfjs-bridge",
        description="Train with GradientTape loops, export to tf.js, and prove tf.js predicts what Python predicts.",
        epilog="Run `tfjs-bridge COMMAND --help` for a command's options. Typical use: "
        "`tfjs-bridge export my_model.keras --verify`, then `tfjs-bridge serve`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfjs-bridge {tfjs_bridge.__version__}")
    names = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, _, summary) in COMMANDS.items():
        names.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the subcommand's own command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args, rest = build_parser().parse_known_args(argv[:1])
    module, prefix, _ = COMMANDS[args.command]
    return importlib.import_module(module).main([*prefix, *argv[1:]], prog=f"tfjs-bridge {args.command}")
