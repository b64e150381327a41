"""Command line for the export stage (`tfjs-bridge export`): users' model files or training artifacts → tf.js model
folders with metadata and goldens, a summary table, and optionally the Node parity check right after."""

import argparse
import os
import sys
import time
from pathlib import Path

from tfjs_bridge.common import paths
from tfjs_bridge.common.atomic import check_replaceable
from tfjs_bridge.common.cli import fail, folder_path, positive_int_to
from tfjs_bridge.common.contract import FOLDER_NAME
from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.files import npy_shape, regular_input

FORMATS = ("auto", "graph", "layers", "both")
MAX_SHARD_BYTES = 1024 * 1024 * 1024  # the schema's x-limits "weights": a bigger shard no reader accepts
MAX_GOLDEN_BYTES = 1024 * 1024 * 1024
MAX_MODEL_BYTES = 64 * 1024**3  # a model file is the user's own: bounded only against devices that never end
# export/compat/'s rules, in the order they run (kept here so that --help answers without importing TensorFlow;
# tests/export/test_compat_rules.py checks it against the package)
RULE_NAMES = ("unroll-rnn", "inline-calls", "grouped-conv", "erfc", "einsum", "fused-bias", "fused-activation")


def compat_rules(text: str) -> tuple:
    """--compat's value as rule names: all, none, or a comma-separated list of known rules."""
    if text in ("all", "none"):
        return RULE_NAMES if text == "all" else ()
    names = tuple(n.strip() for n in text.split(","))
    unknown = [n for n in names if n not in RULE_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rule {unknown[0]!r} (known: all, none, {', '.join(RULE_NAMES)})")
    return names


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """What the exporter writes for each web runtime: the compatibility rules for tf.js, model.tflite for LiteRT.js."""
    parser.add_argument("--compat", type=compat_rules, default="all", metavar="all|none|RULE[,RULE]",
                        help="the compatibility rules the graph format may apply where the graph needs them "
                        f"(default: all: {', '.join(RULE_NAMES)}); none converts the graph as the converter alone does")
    parser.add_argument("--runtime", type=runtimes, default=("tfjs",), metavar="tfjs[,litert]",
                        help="web runtimes to export for (default: tfjs): litert also writes model.tflite for LiteRT.js "
                        "(TensorFlow's TFLite converter, builtin ops only, static shapes; --quantize float16 or uint8 → "
                        "float16 or dynamic-range int8 weights); a model TFLite cannot carry gets a one-line note")
    parser.add_argument("--litert-batch", type=batch_list, metavar="N[,N]",
                        help="with --runtime litert: batch sizes model.tflite runs beyond 1 and the goldens' row count "
                        "(one signature each, sharing the weights), e.g. 1000 for the benchmark's large batch")


def build_parser(prog: str = "tfjs-bridge export") -> argparse.ArgumentParser:
    """The export parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Convert models to tf.js graph or layers model folders (model.json, shards, metadata.json, "
        "goldens.json), checked later by `tfjs-bridge verify` (or right away with --verify).",
    )
    parser.add_argument(
        "models", nargs="*",
        help="SavedModel directories, .keras / .h5 files, artifact folders written by `tfjs-bridge train`, or names "
        "of artifacts under --artifacts (default: every trained model under --artifacts)",
    )
    parser.add_argument("--artifacts", type=folder_path, default=paths.ARTIFACTS, help="where trained models are (default: ./artifacts)")
    parser.add_argument("--out", type=folder_path, default=paths.MODELS, help="where tf.js model folders go (default: ./web_models)")
    parser.add_argument("--format", choices=FORMATS, default="auto",
                        help="auto (default): layers for functional/sequential Keras models, graph otherwise and when "
                        "the layers format cannot carry the model (a one-line note says why); where Node and tf.js are "
                        "installed, each candidate is verified on cpu and wasm first and the first that passes ships "
                        "(none: the best one, exit 1); "
                        "both: the other format goes to <name>-<format>/")
    parser.add_argument("--quantize", action="append", metavar="MODE[=GLOB]",
                        help="float16, uint16 or uint8 for every float weight, or only for weight names matching "
                        "GLOB (repeatable, e.g. --quantize uint8='*/kernel')")
    parser.add_argument("--shard-size", type=positive_int_to(MAX_SHARD_BYTES), default=4 * 1024 * 1024, metavar="BYTES",
                        help="largest weight shard in bytes (default: 4194304)")
    parser.add_argument("--golden-inputs", type=folder_path, metavar="FILE",
                        help="inputs whose outputs tf.js must reproduce: a .npy for a one-input model, a .npz with one array "
                        "per input name (default for model files: 16 seeded rows per input that fit its dtype: [0, 1) "
                        "floats, 0-255 for uint8, token ids below the model's Embedding input_dim)")
    parser.add_argument("--signature", metavar="NAME", help="for SavedModels: the signature to export (default: serving_default)")
    parser.add_argument("--tags", metavar="TAG[,TAG]", help="for SavedModels: the meta-graph tags to load (default: serve)")
    parser.add_argument("--custom-objects", metavar="FILE.py|MODULE",
                        help="for .keras / .h5 files: a Python file or module to import first, so the custom layers it "
                        "registers (@keras.saving.register_keras_serializable) can be loaded; safe_mode stays on")
    parser.add_argument("--vocabulary", type=folder_path, metavar="FILE.txt",
                        help="the words of the model's token-id inputs, one per line (line N = id N); recorded in "
                        "metadata.json so the page turns typed words into ids")
    parser.add_argument("--kind", choices=("classification", "regression"),
                        help="for model files: whether argmax agreement is checked (default: classification "
                        "when the output is [batch, k>=2])")
    parser.add_argument("--name", help="output folder name (one model, one format)")
    add_runtime_options(parser)
    parser.add_argument("--verify", action="store_true", help="then check every exported folder in Node (cpu and wasm), "
                        "as `tfjs-bridge verify` does; exit 1 if any check fails")
    return parser


def runtimes(text: str) -> tuple[str, ...]:
    """argparse type: the web runtimes to export for, tfjs always among them (the model folder is a tf.js folder)."""
    chosen = tuple(dict.fromkeys(r for r in text.split(",") if r))
    unknown = [r for r in chosen if r not in ("tfjs", "litert")]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown runtime {','.join(unknown) or repr(text)}: choose from tfjs, litert")
    if "tfjs" not in chosen:
        raise argparse.ArgumentTypeError("tfjs is always exported (model.json is the folder's contract): give tfjs,litert")
    return chosen


def batch_list(text: str) -> tuple[int, ...]:
    """argparse type: comma-separated batch sizes, each 1 to 100000."""
    try:
        sizes = tuple(int(t) for t in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or len(sizes) > 16 or not all(1 <= n <= 100_000 for n in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 to 16 batch sizes from 1 to 100000, e.g. 1,1000")
    return sizes


def resolve_models(names: list[str], root: Path) -> list[Path]:
    """Paths for the names given (artifact names under root, or paths), or every trained model under root."""
    if not names:
        return sorted(p.parent for p in root.glob("*/run.json"))
    return [Path(n) if ("/" in n or Path(n).exists()) and not (root / n).is_dir() else root / n for n in names]


def check_arguments(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, found before TensorFlow is imported, or None."""
    if args.name is not None and not FOLDER_NAME.fullmatch(args.name):
        return f"--name {args.name!r} must be a plain folder name (letters, digits, '_', '.', '-'; 64 at most)"
    if args.out.exists() and not args.out.is_dir():
        return f"--out {args.out} exists and is not a folder"
    if args.golden_inputs is not None:
        if not os.path.lexists(args.golden_inputs):
            return f"--golden-inputs {args.golden_inputs}: no such file"
        if args.golden_inputs.suffix not in (".npy", ".npz"):
            return (f"--golden-inputs {args.golden_inputs}: expected a .npy (numpy.save) or .npz (numpy.savez) file, "
                    f"got '{args.golden_inputs.suffix}'")
        try:
            if args.golden_inputs.suffix == ".npy":
                npy_shape(args.golden_inputs, "--golden-inputs", MAX_GOLDEN_BYTES)
            else:
                regular_input(args.golden_inputs, "--golden-inputs", MAX_GOLDEN_BYTES)
        except UserError as err:
            return str(err)
    if args.vocabulary is not None:
        try:
            read_vocabulary(args.vocabulary)
        except UserError as err:
            return str(err)
    if args.custom_objects and args.custom_objects.endswith(".py") and not Path(args.custom_objects).is_file():
        return f"--custom-objects {args.custom_objects}: no such file"
    if args.name is not None:
        try:
            check_replaceable(args.out / args.name)
        except UserError as err:
            return str(err)
    if args.litert_batch and "litert" not in args.runtime:
        return "--litert-batch is for --runtime tfjs,litert"
    if args.name and len(args.models) > 1:
        return "--name needs a single model"
    if args.name and args.format == "both":
        return "--name needs a single --format"
    for name in args.models:
        path = Path(name)
        if not path.exists() and not (args.artifacts / name).is_dir():
            return (f"no trained model at {name}: no such file or directory "
                    "(give an artifact name, a SavedModel directory, or a .keras / .h5 file)")
        if path.is_file() and path.suffix not in (".keras", ".h5"):
            return f"{name}: unsupported file type '{path.suffix}': give a SavedModel directory, a .keras or a .h5 file"
        if path.exists() and not path.is_dir():
            try:  # a FIFO or device named like a model would hang the loader or feed it without end
                regular_input(path, "model", MAX_MODEL_BYTES)
            except UserError as err:
                return str(err)
    return None


def read_vocabulary(path: Path) -> list[str]:
    """The words of a vocabulary file, one per line (UTF-8, at most 1,000,000 lines of 256 characters)."""
    regular_input(path, "--vocabulary", MAX_GOLDEN_BYTES)
    try:
        words = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"--vocabulary {path}: cannot read as UTF-8 text ({err})") from None
    if not words or len(words) > 1_000_000 or max(map(len, words)) > 256:
        raise UserError(f"--vocabulary {path}: needs 1 to 1,000,000 lines of at most 256 characters")
    return words


def rules_cell(meta: dict) -> str:
    """The compatibility rules a folder's graph got, as 'rule×count' (or '-')."""
    return " ".join(f"{r['rule']}×{r['count']}" for r in meta.get("compat", [])) or "-"


def print_table(metas: list[dict], seconds: list[float], out: Path) -> None:
    """Fixed-width summary of what was written."""
    header = ("model", "format", "keras", "quant", "inputs", "bytes", "vs f32", "goldens", "rules", "s", "folder")
    rows = []
    for meta, took in zip(metas, seconds):
        b, quant = meta["bytes"], meta["quantization"]
        rows.append((meta["name"], meta["format"], meta["source"]["keras"] or "-", quant["dtype"] if quant else "-",
                     " ".join(f"{s['name']}{s['shape']}" for s in meta["inputs"]), f"{b['on_disk']:,}",
                     f"{b['on_disk'] / b['float32']:.2f}" if b["float32"] else "-", str(meta["goldens"]["count"]),
                     rules_cell(meta), f"{took:.1f}", str(out / meta["name"])))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    for meta in metas:  # --runtime tfjs,litert: what LiteRT.js gets (refusals were noted on stderr as they happened)
        if "file" in meta.get("litert", {}):
            litert = meta["litert"]
            print(f"{meta['name']}: model.tflite {litert['bytes']:,} bytes, {litert['quantization'] or 'float32'}, "
                  f"batches {', '.join(str(s['batch']) for s in litert['signatures'])}")


def export_one(source, args, qmap: dict | None, prove) -> tuple[list[dict], list[str]]:
    """One source's folders, and the failing tf.js rows of an auto export decided by proof (prove given)."""
    from tfjs_bridge.export.convert import ExportOptions, export_source
    from tfjs_bridge.export.proof import export_proven

    options = ExportOptions(args.format, qmap, args.shard_size, folder=args.name, rules=args.compat,
                            runtimes=args.runtime, litert_batches=args.litert_batch or ())
    if args.format == "auto" and prove is not None:
        meta, failed = export_proven(source, args.out, options, prove)
        return [meta], [f"{meta['name']}: {line}" for line in failed]
    return export_source(source, args.out, options), []


def export_all(args: argparse.Namespace, prove=None) -> tuple[list[dict], list[float], list[str]]:
    """Export every model named in args; return their metadata, the seconds each took and unproven rows."""
    from tfjs_bridge.export.errors import ExportError
    from tfjs_bridge.export.sources import from_path
    from tfjs_bridge.export.weights import parse_quantize

    qmap = parse_quantize(args.quantize)
    sources = resolve_models(args.models, args.artifacts)
    if not sources:
        raise ExportError(f"no trained models under {args.artifacts}: run `tfjs-bridge train mlp` first, or name a model file")
    metas, seconds, unproven = [], [], []
    for path in sources:
        started = time.perf_counter()
        source = from_path(path, args.golden_inputs, args.kind, signature=args.signature, custom_objects=args.custom_objects,
                           tags=args.tags.split(",") if args.tags else None)
        if args.vocabulary is not None:
            source.run["vocabulary"] = read_vocabulary(args.vocabulary)
        exported, failed = export_one(source, args, qmap, prove)
        unproven += failed
        for meta in exported:
            metas.append(meta)
            seconds.append(time.perf_counter() - started)
            if "accuracy" in meta:
                acc = meta["accuracy"]
                print(f"{meta['name']}: test accuracy {acc['float32']:.4f} float32 → {acc['exported']:.4f} "
                      f"{meta['quantization']['dtype']} ({acc['change']:+.4f})")
    return metas, seconds, unproven


def proof_hook(args: argparse.Namespace, prove, prove_missing):
    """The prove hook auto exports use, or None (with one note) where Node or tf.js is missing."""
    if args.format != "auto" or prove is None:
        return None
    why = prove_missing() if prove_missing is not None else None
    if why:
        print(f"note: --format auto chose each format without proving it in tf.js ({why.rstrip('.')})", file=sys.stderr)
        return None
    return prove


def main(argv: list[str] | None = None, prog: str = "tfjs-bridge export", verify=None, prove=None,
         prove_missing=None) -> int:
    """Entry point: returns the process exit code (2 for bad input, 1 when --verify finds a failing check or no
    candidate of an auto export passes in tf.js).

    Hooks of the verify stage, handed over by the dispatcher: verify(folders) -> exit code checks the exported
    folders; prove(folder) -> rows checks one candidate folder on cpu and wasm; prove_missing() -> why no proof
    can be made here (no Node or tf.js), or None.
    """
    args = build_parser(prog).parse_args(argv)
    problem = check_arguments(args)  # before TensorFlow is imported: bad input fails fast
    if not problem and args.verify and verify is None:  # only the dispatcher (tfjs_bridge.cli) hands the verifier over
        problem = "--verify needs the verify stage: run the command as `tfjs-bridge export`"
    if problem:
        return fail(problem)
    try:
        metas, seconds, unproven = export_all(args, proof_hook(args, prove, prove_missing))
    except UserError as err:
        return fail(err)
    except OSError as err:  # e.g. --out on a read-only disk: say which path, plainly
        return fail(f"cannot write {err.filename or args.out}: {err.strerror or err}")
    print_table(metas, seconds, args.out)
    for line in unproven:
        print(f"error: no candidate passes in tf.js everywhere; shipped the best: {line}", file=sys.stderr)
    if not args.verify:
        return 1 if unproven else 0
    sys.stdout.flush()
    try:
        return verify([str(args.out / m["name"]) for m in metas]) or (1 if unproven else 0)
    except UserError as err:
        return fail(err)
