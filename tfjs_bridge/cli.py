"""`tfjs-bridge`: one command whose subcommands mirror the pipeline (train → export → verify → serve).

Each subcommand is the stage's own command line (its `main(argv, prog)`), imported only when chosen, so
`--help`, `--version` and argument errors answer without importing TensorFlow. This dispatcher sits above the
stages: where a stage's command offers a later stage's work (`export --verify`), it is handed over from here,
and `demo` is a sequence of other commands, so that no stage imports a later one.
"""

import argparse
import importlib
import sys

from tfjs_bridge.common.version import __version__

# subcommand → ("module:function" taking (argv, prog), arguments put in front, one-line summary)
COMMANDS = {
    "train": ("tfjs_bridge.train.cli:main", [], "train the project's models (linear, mlp, mobilenet) with GradientTape loops"),
    "export": ("tfjs_bridge.export.cli:main", [], "convert a .keras/.h5 file, SavedModel or artifact into a tf.js model folder"),
    "verify": ("tfjs_bridge.verify.cli:main", [], "check in Node (cpu, wasm) that tf.js reproduces Python's outputs"),
    "serve": ("tfjs_bridge.web.serve:main", [], "serve model folders: a page with tf.js and Python side by side, a JSON API"),
    "bench": ("tfjs_bridge.bench.cli:main", [], "measure training, inference and export (from a checkout)"),
    "devices": ("tfjs_bridge.train.cli:main", ["devices"], "list CPUs/GPUs; --virtual-devices N splits one into N"),
    "tape-demo": ("tfjs_bridge.train.cli:main", ["tape-demo"], "the GradientTape examples: watch and persistent tapes"),
    "setup-node": ("tfjs_bridge.verify.cli:main", ["--setup-node"], "install tf.js for Node (npm registry) where no checkout has it"),
    "demo": ("tfjs_bridge.cli:demo", [], "train the demo's models (linear, mlp) and export them to ./web/models in one process"),
}
# Later stages a command may call, passed to its main() as keyword arguments ("module:function", imported on use).
HOOKS = {
    "export": {"verify": "tfjs_bridge.verify.node:run_harness", "prove": "tfjs_bridge.verify.prove:prove",
               "prove_missing": "tfjs_bridge.verify.prove:missing"},
}
# What `demo` runs, in one process: TensorFlow's ~6 s import is paid once, not four times (as `make demo` once did).
DEMO_MODELS = "web/models"
DEMO_STEPS = [
    ("train", ["linear"]),
    ("train", ["mlp"]),
    # model.tflite for LiteRT.js too, with a signature at the benchmark's large batch
    ("export", ["linear", "mlp", "--runtime", "tfjs,litert", "--litert-batch", "1000", "--out", DEMO_MODELS]),
    ("export", ["mlp", "--format", "layers", "--out", DEMO_MODELS]),  # trainable in tf.js (tests/js/trainable.test.js)
]


def resolve(target: str):
    """The function named "module:function", imported now."""
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def hook(target: str):
    """The function named "module:function", imported only when called."""
    return lambda *args, **kwargs: resolve(target)(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: a subcommand and whatever follows it (parsed by the subcommand itself)."""
    parser = argparse.ArgumentParser(
        prog="tfjs-bridge",
        description="Train with GradientTape loops, export to tf.js, and prove tf.js predicts what Python predicts.",
        epilog="Run `tfjs-bridge COMMAND --help` for a command's options. Typical use: "
        "`tfjs-bridge export my_model.keras --verify`, then `tfjs-bridge serve`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfjs-bridge {__version__}")
    names = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, _, summary) in COMMANDS.items():
        names.add_parser(name, help=summary, add_help=False)
    return parser


def demo(argv: list[str], prog: str) -> int:
    """Train both demo models and export them, each step as its own command would; the first failure's exit code."""
    argparse.ArgumentParser(prog=prog, description=COMMANDS["demo"][2]).parse_args(argv)
    for command, args in DEMO_STEPS:
        code = run(command, args)
        if code:
            return code
    return 0


def run(command: str, argv: list[str], prog: str | None = None) -> int:
    """Run one subcommand's command line with its hooks; returns the exit code."""
    target, prefix, _ = COMMANDS[command]
    hooks = {k: hook(v) for k, v in HOOKS.get(command, {}).items()}
    return resolve(target)([*prefix, *argv], prog=prog or f"tfjs-bridge {command}", **hooks)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the subcommand's own command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args, _ = build_parser().parse_known_args(argv[:1])
    return run(args.command, argv[1:])
