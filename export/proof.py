"""`--format auto` decided by proof: candidate folders are verified in tf.js (through the dispatcher's `prove` hook,
so export never imports verify) and the first that passes on every backend is shipped.

Candidates, in order: the format the model's type calls for (layers for functional/sequential Keras models), then
the graph format. The graph format's compatibility rules (export/compat/) match their patterns up front; where a
row still fails for a cause a rule left out by --compat fixes (CAUSES), that rule is added and the graph
re-verified. No candidate passing: the one with the fewest failing rows is shipped, its failures named (exit 1).
"""

import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

from tfjs_bridge.common.atomic import Unwritable, output_directory
from tfjs_bridge.common.rows import why
from tfjs_bridge.export.convert import ExportOptions, base_name, check_goldens, goldens_document, note, write_folder
from tfjs_bridge.export.errors import ExportError, UnsupportedModelError
from tfjs_bridge.export.sources import Source

# What a failing row (or the converter's refusal) says → the compatibility rules that fix that cause.
CAUSES = (
    ("reading 'backend'", ("unroll-rnn",)),
    ("divide by zero", ("unroll-rnn",)),
    ("Kernel 'Einsum' not registered", ("einsum",)),
    ("only supports rank-1 bias", ("fused-bias",)),
    ("has not been implemented for the", ("fused-activation",)),
    ("activation not yet supported", ("fused-activation",)),
    ("Erfc", ("erfc",)),
    ("StatefulPartitionedCall", ("inline-calls", "grouped-conv")),
)


def failures(rows: list[dict]) -> list[str]:
    """One line per failing row: the backend and what went wrong."""
    return [f"{row['backend']}: {why(row)}" for row in rows if not row.get("pass")]


def errors(rows: list[dict]) -> list[str]:
    """The failing rows' own errors (tf.js's words, which CAUSES match), beside failures()' labels."""
    return [row["error"] for row in rows if not row.get("pass") and row.get("error")]


def missing_rules(messages: list[str], rules: tuple) -> tuple:
    """The rules not in rules that fix a cause named in messages (empty when none does)."""
    found = [rule for text, fix in CAUSES if any(text in m for m in messages) for rule in fix]
    return tuple(dict.fromkeys(r for r in found if r not in rules))


@dataclasses.dataclass
class Candidate:
    """One proven folder: where it was written, its metadata and its failing rows."""

    folder: Path
    meta: dict
    failed: list[str]


def try_graph(source: Source, staging: Path, name: str, options: ExportOptions, goldens: dict, prove) -> Candidate:
    """The graph format, with the rules each failure asks for added until none is left to add."""
    rules, attempt = options.rules, 0
    while True:
        root = staging / f"graph-{attempt}"
        try:
            meta = write_folder(source, root, name, "graph", dataclasses.replace(options, rules=rules), goldens)
        except ExportError as err:
            extra = missing_rules([str(err)], rules)
            if not extra:
                raise
            rules, attempt = rules + extra, attempt + 1
            continue
        rows = prove(root / name)
        failed = failures(rows)
        extra = missing_rules(failed + errors(rows), rules)
        if not failed or not extra:
            return Candidate(root / name, meta, failed)
        note(f"note: {name}: graph failed in tf.js ({failed[0]}): adding rule {', '.join(extra)}")
        rules, attempt = rules + extra, attempt + 1


def try_layers(source: Source, staging: Path, name: str, options: ExportOptions, goldens: dict, prove) -> Candidate | None:
    """The layers format, or None with a note when it cannot carry the model."""
    try:
        meta = write_folder(source, staging / "layers", name, "layers", options, goldens)
    except UnsupportedModelError as err:
        note(f"note: {name}: exported as a graph model: {str(err).removesuffix('; use --format graph')}")
        return None
    return Candidate(staging / "layers" / name, meta, failures(prove(staging / "layers" / name)))


def ship(candidate: Candidate, out_root: Path, name: str) -> dict:
    """Swap the chosen candidate into out_root/name atomically; return its metadata."""
    with output_directory(Path(out_root) / name) as tmp:
        shutil.copytree(candidate.folder, tmp, dirs_exist_ok=True)
    return candidate.meta


def export_proven(source: Source, out_root: Path, options: ExportOptions, prove) -> tuple[dict, list[str]]:
    """Export source as the first candidate tf.js runs on every backend; its metadata and failing rows (none if proven)."""
    goldens = goldens_document(source)
    check_goldens(goldens)
    name = options.folder or base_name(source)
    # Candidates are staged apart from out_root: only the chosen one is swapped in there, atomically, as always.
    with tempfile.TemporaryDirectory(prefix=f"tfjs-bridge-{name}-candidates-") as tmp:
        # Messages naming a staged candidate name the path as it is in the output (the staging folder is gone).
        staged = re.compile(rf"{re.escape(tmp)}/[^/ ]+/{re.escape(name)}")
        shipped = lambda text: staged.sub(str(Path(out_root) / name), text)  # noqa: E731
        try:
            meta, failed = choose(source, Path(tmp), Path(out_root), name, options, goldens, prove)
        except Unwritable as err:  # a staged candidate could not be written
            raise Unwritable(shipped(str(err))) from None
        return meta, [shipped(line) for line in failed]


def choose(source: Source, staging: Path, out_root: Path, name: str, options: ExportOptions, goldens: dict,
           prove) -> tuple[dict, list[str]]:
    """Stage the candidates under staging, ship the first tf.js runs everywhere (else the best); metadata, failed rows."""
    tried = []
    if source.natural_format() == "layers":
        layers = try_layers(source, staging, name, options, goldens, prove)
        if layers is not None and not layers.failed:
            return ship(layers, out_root, name), []
        if layers is not None:
            note(f"note: {name}: exported as a graph model: the layers model failed in tf.js ({layers.failed[0]})")
            tried.append(layers)
    graph = try_graph(source, staging, name, options, goldens, prove)
    best = min([graph, *tried], key=lambda c: len(c.failed))  # the graph on ties: tried after the layers model
    return ship(best, out_root, name), best.failed
