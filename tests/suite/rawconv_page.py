"""The converter-comparison page from a measurement (tests/suite/rawconv.py): the table, its notes and the counts.

Pure: it reads the measured results, the suite's exports.json records and docs/support-table.md's Markdown, and
returns Markdown. Long messages become numbered notes under the table, each written once.
"""

import re

BACKENDS = ("cpu", "wasm")
MESSAGE_CHARS = 200  # a note is cut here: the first words say what failed
# A row of docs/support-table.md: | model | `folder` | format | rules | cpu | wasm | (then LiteRT.js's columns)
ROW = re.compile(r"^\| [^|]+ \| `(?P<folder>[^`]+)` \| (?P<format>[^|]+) \| [^|]+ \| (?P<cpu>[^|]+) \| (?P<wasm>[^|]+) \|"
                 r"(?: [^|]+ \|)*$")


def cut(message: str) -> str:
    """A message on one line (the converter names unsupported ops on its second), cut to MESSAGE_CHARS, with what
    Markdown tables and code spans cannot hold replaced."""
    line = " ".join(message.split()).replace("`", "'").replace("|", "/")
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS - 1] + "…"


class Notes:
    """Numbered notes: each distinct message once, referred to as [n]."""

    def __init__(self):
        self.numbers: dict[str, int] = {}

    def ref(self, message: str) -> str:
        """The message's [n], numbering it on first use."""
        number = self.numbers.setdefault(cut(message), len(self.numbers) + 1)
        return f"[{number}]"

    def markdown(self) -> list[str]:
        """The notes as Markdown lines."""
        return [f"{n}. `{message}`" for message, n in self.numbers.items()]


def judged(row: dict) -> str:
    """Why a raw row that ran fails: its output shape, its max |Δ| or its leaked tensors."""
    if row["shape"] != row["expectedShape"]:
        return f"output shape {row['shape']} for {row['expectedShape']}"
    if row["maxAbsDiff"] is None or row["maxAbsDiff"] > row["tolerance"]:  # JSON has no Infinity: null
        return "max \\|Δ\\| " + ("∞" if row["maxAbsDiff"] is None else f"{row['maxAbsDiff']:.1e}")
    return f"{row['leakedTensors']} leaked tensors"


def raw_outcome(result: dict, backend: str, notes: Notes) -> tuple[str, bool]:
    """The raw converter's outcome for a model on a backend, in words, and whether it passes."""
    if result["refused"]:
        return f"converter refused {notes.ref(result['refused'])}", False
    row = result["rows"][backend]
    if result["goldens"] is None or row is None:
        return "converted, not run (no goldens: the bridge refuses the model)", False
    if row.get("pass"):
        return f"pass {row['maxAbsDiff']:.1e}", True
    if "maxAbsDiff" in row:
        return f"FAIL {judged(row)}" + (f" {notes.ref(row['unsupported'])}" if row.get("unsupported") else ""), False
    stage = "load failed" if row.get("stage") == "load" else "run failed"
    return f"{stage} {notes.ref(row.get('error', ''))}", False


def support_rows(text: str) -> dict:
    """{folder: {'format', 'cpu', 'wasm'}} from the support table's Markdown."""
    return {m["folder"]: {"format": m["format"].strip(), "cpu": m["cpu"].strip(), "wasm": m["wasm"].strip()}
            for m in map(ROW.match, text.splitlines()) if m}


def bridge_outcome(case: str, records: list[dict], table: dict, notes: Notes) -> tuple[str, dict]:
    """The bridge's float32 exports of a model, each 'cpu / wasm', and {backend: whether any export passes}."""
    parts, passed = [], dict.fromkeys(BACKENDS, False)
    for rec in records:
        if rec["case"] != case or "--quantize" in rec["args"]:
            continue
        row = table.get(rec["folder"])
        if row is None:  # refused, or shipped unproven (exit 1): the table lists its one line instead
            why = rec["stderr"][-1].removeprefix("error: ") if rec["stderr"] else "no message"
            parts.append(f"`{rec['export']}` exit {rec['exit']} {notes.ref(why)}")
            continue
        verdicts = []
        for backend in BACKENDS:
            verdict = row[backend]
            passed[backend] |= verdict.startswith("pass")
            mark, _, why = verdict.partition(" ")  # ✗ (a named tf.js limitation) or FAIL, then why
            verdicts.append(verdict if mark == "pass" else f"{mark} {notes.ref(why)}")
        label = f"`{rec['export']}`" + ("" if rec["export"] == row["format"] else f" ({row['format']})")
        parts.append(f"{label} {' / '.join(verdicts)}")
    return "; ".join(parts) or "-", passed


def summary(results: list[dict], raw: dict, bridge: dict) -> str:
    """One paragraph of counts: {case: {backend: passes}} for each side."""
    def count(side, backend, cases=None):
        return sum(side[r["case"]][backend] for r in results if cases is None or r["case"] in cases)

    keras3 = {r["case"] for r in results if r["source"].endswith(".keras")}
    saved = {r["case"] for r in results if not r["source"].endswith((".keras", ".h5"))}
    refused = sum(bool(r["refused"]) for r in results)
    both = " and ".join
    return (f"Of {len(results)} saved models ({len(keras3)} Keras 3 `.keras` files, "
            f"{len(results) - len(keras3) - len(saved)} tf_keras `.h5`, {len(saved)} SavedModels), the raw converter's "
            f"output passes {both(f'{count(raw, b)} on {b}' for b in BACKENDS)}; the bridge's "
            f"{both(f'{count(bridge, b)} on {b}' for b in BACKENDS)}. On the `.keras` files the raw converter passes "
            f"{count(raw, 'cpu', keras3)} (the bridge {count(bridge, 'cpu', keras3)} on cpu, "
            f"{count(bridge, 'wasm', keras3)} on wasm); on the SavedModels it passes "
            f"{both(f'{count(raw, b, saved)} on {b}' for b in BACKENDS)} (the bridge "
            f"{both(f'{count(bridge, b, saved)} on {b}' for b in BACKENDS)}). The converter itself refused {refused}.")


def markdown(results: list[dict], records: list[dict], support: str) -> str:
    """The comparison table, the counts, the notes and the models only the raw converter passes, as Markdown."""
    table, notes = support_rows(support), Notes()
    lines = ["| model | saved as | raw converter: cpu / wasm | bridge: cpu / wasm, per float32 export |",
             "|---|---|---|---|"]
    raw_pass, bridge_pass, only_raw = {}, {}, []
    for result in results:
        raw = {b: raw_outcome(result, b, notes) for b in BACKENDS}
        bridge, bridge_pass[result["case"]] = bridge_outcome(result["case"], records, table, notes)
        raw_pass[result["case"]] = {b: raw[b][1] for b in BACKENDS}
        texts = [raw[b][0] for b in BACKENDS]
        raw_text = texts[0] if len(set(texts)) == 1 and not raw["cpu"][1] else " / ".join(texts)
        lines.append(f"| {result['kind']} | `{result['source']}` | {raw_text} | {bridge} |")
        only_raw += [f"- {result['kind']} on {b}: the raw converter {raw[b][0]}, the bridge {bridge}"
                     for b in BACKENDS if raw[b][1] and not bridge_pass[result["case"]][b]]
    return "\n".join([summary(results, raw_pass, bridge_pass), "", *lines, "", "Notes:", "", *notes.markdown(), "",
                      "Where the raw converter passes and the bridge does not:", "", *(only_raw or ["- none"])]) + "\n"
