"""The model suite (tests/suite/models.py, built by `make suite`): every export succeeds or is refused in one line,
every model folder passes in tf.js on cpu and wasm, except where tf.js itself is known to fail (named), and each
case's LiteRT.js export passes on LiteRT.js wasm, except where the exporter names why it wrote no model.tflite."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.suite import table
from tests.suite.models import CASES, LITERT, LITERT_REFUSALS, VOCAB, expected_to_fail, known_failure
from tfjs_bridge.common.paths import CHECKOUT
from tfjs_bridge.export.ops import KERNELS_FILE
from tfjs_bridge.verify.node import run_harness

SUITE = CHECKOUT / "artifacts" / "suite"
pytestmark = [pytest.mark.slow,  # one Node run over the whole suite
              pytest.mark.skipif(not (SUITE / "exports.json").is_file(), reason="run `make suite` first")]


@pytest.fixture(scope="session")
def records():
    """exports.json: one record per export of the suite."""
    return {r["folder"]: r for r in json.loads((SUITE / "exports.json").read_text())}


@pytest.fixture(scope="session")
def rows():
    """One Node run over every exported folder: {(folder, backend): row}."""
    result = run_harness([str(SUITE / "models"), "--json", "--no-report"], capture=True)
    return {(r["model"], r["backend"]): r for r in json.loads(result.stdout)["rows"]}


def goldens(folder: str) -> dict:
    return json.loads((SUITE / "models" / folder / "goldens.json").read_text())


def test_every_case_was_built(records):
    assert {f"{c.name}-{e}" for c in CASES for e in c.exports} == set(records)


def shipped_unproven(rec: dict) -> bool:
    """An auto export decided by proof whose candidates all fail somewhere: the best one ships, exit 1, rows named."""
    return rec["exit"] == 1 and any(line.startswith("error: no candidate passes in tf.js everywhere") for line in rec["stderr"])


def test_exports_succeed_or_are_refused_in_one_line(records):
    for folder, rec in records.items():
        if rec["expect_refusal"]:
            assert rec["exit"] == 2 and len(rec["stderr"]) == 1, rec
            assert rec["stderr"][0].startswith("error: ") and rec["expect_refusal"] in rec["stderr"][0], rec
            assert not (SUITE / "models" / folder).exists()
        else:  # shipped; unproven only where tf.js fails it (the rows test requires each such row's named limitation)
            assert rec["exit"] == 0 or shipped_unproven(rec), rec
            assert all(line.startswith(("note: ", "warning: ", "error: no candidate passes")) for line in rec["stderr"]), rec


def test_layers_refusal_names_the_way_out(records):
    assert records["uint8_cnn-layers"]["stderr"] == [
        "error: input 'pixels' is uint8, which tfjs-layers cannot feed (tf.js has int32 only); use --format graph"]


def test_auto_falls_back_to_graph_saying_why(records):
    assert records["gru-auto"]["stderr"][0] == (
        "note: gru-auto: exported as a graph model: layer 'gru' (GRU) has reset_after=True: tfjs-layers implements GRU "
        "only with reset_after=False")
    assert records["gru-auto"]["stderr"][1:] == [litert_note("gru-auto")]  # its LiteRT.js export, refused
    meta = json.loads((SUITE / "models" / "gru-auto" / "metadata.json").read_text())
    assert meta["format"] == "graph"
    lstm = json.loads((SUITE / "models" / "bilstm-layers" / "metadata.json").read_text())
    assert lstm["format"] == "layers"  # Bidirectional LSTMs do go to the layers format


def metadata(folder: str) -> dict:
    return json.loads((SUITE / "models" / folder / "metadata.json").read_text())


def test_compatibility_rules_close_the_tfjs_gaps_and_are_recorded(records):
    """Each family whose graph tf.js could not run gets its rule (the rows then pass: the test below)."""
    expected = {"transformer-auto": {"einsum"}, "efficientnet-auto": {"fused-bias"}, "lstm-graph": {"unroll-rnn"},
                "layer_zoo_sequence-graph": {"unroll-rnn"}, "gelu_exact-graph": {"erfc"},
                "convnexttiny-auto": {"inline-calls", "grouped-conv", "erfc"}, "efficientnetb0-auto": {"fused-bias"}}
    for folder, rules in expected.items():
        assert rules <= {r["rule"] for r in metadata(folder).get("compat", [])}, (folder, metadata(folder).get("compat"))
    assert records["transformer-auto"]["stderr"] == []  # no kernel is missing any more: no warning
    assert "compat" not in metadata("resnet-graph")  # no rule matched: the converter's graph as it was


def test_auto_ships_the_graph_when_the_layers_model_fails_in_tfjs(records):
    assert metadata("mobilenet_v1-auto")["format"] == "graph"
    assert metadata("mobilenet_v1-layers")["format"] == "layers"  # asked for: shipped, and fails (EXPECTED_LIMITS)
    note, = records["mobilenet_v1-auto"]["stderr"]
    assert note.startswith("note: mobilenet_v1-auto: exported as a graph model: the layers model failed in tf.js (cpu: ")
    assert "tfjs-layers gives layer 'conv_preds' a rank-2 input where Keras gives rank 4" in note  # the labelled cause


def exported(records) -> list[str]:
    """The folders the suite's exports wrote."""
    return [f for f, r in records.items() if r["exit"] == 0 or shipped_unproven(r)]


def litert_folders(records) -> set[str]:
    """The folders exported with --runtime tfjs,litert (one per case whose tf.js export was not refused)."""
    return {f"{c.name}-{c.litert}" for c in CASES} & set(exported(records))


def test_every_row_passes_or_fails_for_its_named_limitation(rows, records):
    """tf.js rows: pass, or fail for their named tf.js limitation; LiteRT.js rows: pass, or name the exporter's refusal."""
    expected = {(f, b) for f in exported(records) for b in ("cpu", "wasm")}
    assert expected | {(f, "litert-wasm") for f in litert_folders(records)} == set(rows)
    for key, row in rows.items():
        if not expected_to_fail(key):
            assert row["pass"], (key, row.get("error"), row.get("outputs"))
        else:  # the limitation is real: the row fails, and for the reason named (a fix would show here)
            assert not row["pass"] and known_failure(key, row), (key, row)


def test_each_case_exports_one_float32_model_for_litert(records):
    for case in CASES:
        assert [s for s, args in case.exports.items() if "--runtime" in args] == [case.litert], case.name
        assert case.exports[case.litert][-2:] == LITERT and "--quantize" not in case.exports[case.litert], case.name
    assert set(LITERT_REFUSALS) <= litert_folders(records)  # no stale entry


def litert_note(folder: str) -> str:
    """The exporter's one line for a LiteRT.js export it refused, as metadata.json records the reason."""
    return f"note: {folder}: no model.tflite for LiteRT.js: {metadata(folder)['litert']['refused']}"


def test_litert_exports_are_written_or_refused_in_one_line(records):
    """model.tflite is written (and recorded), or its refusal is one note naming the reason LITERT_REFUSALS expects."""
    for folder in litert_folders(records):
        record, stderr = metadata(folder)["litert"], records[folder]["stderr"]
        tflite = SUITE / "models" / folder / "model.tflite"
        if folder in LITERT_REFUSALS:
            assert LITERT_REFUSALS[folder] in record.get("refused", ""), (folder, record)
            assert stderr.count(litert_note(folder)) == 1 and not tflite.exists(), (folder, stderr)
        else:
            assert record["file"] == tflite.name and tflite.stat().st_size == record["bytes"], (folder, record)
            assert not any("no model.tflite" in line for line in stderr), (folder, stderr)


PASS = re.compile(r"pass ([0-9.e+-]+)")


def test_docs_support_table_matches_this_run(rows):
    # docs/support-table.md is generated from a suite run: every row, verdict and refusal must hold now, and each max |Δ|
    # within 10x (floored at 1e-7: a rebuilt suite moves them by a few 1e-8).
    written = (CHECKOUT / table.DOC).read_text().removeprefix(table.HEADER)
    now = table.markdown(SUITE, rows)
    redo = f"regenerate it: python -m tests.suite.table --write\n{now}"
    assert PASS.sub("pass", written) == PASS.sub("pass", now), redo
    for was, is_ in zip(PASS.findall(written), PASS.findall(now), strict=True):
        assert 0.1 <= max(float(was), 1e-7) / max(float(is_), 1e-7) <= 10, (was, is_, redo)

def test_multi_io_goldens_keep_names_dtypes_and_ranges():
    doc = goldens("multi_io-layers")
    tokens, features = doc["inputs"]["tokens"], doc["inputs"]["features"]
    assert tokens["dtype"] == "int32" and tokens["shape"] == [16, 12]
    ids = np.asarray(tokens["values"])
    assert ids.min() >= 0 and ids.max() < VOCAB and len(set(ids.tolist())) > 10  # the Embedding's input_dim, read
    assert features["dtype"] == "float32" and set(doc["outputs"]) == {"scores", "value"}


def test_dtype_goldens_fit_each_input():
    doc = goldens("int_dtypes-auto")
    assert {k: (v["dtype"], v["shape"]) for k, v in doc["inputs"].items()} == {
        "ids": ("int64", [16, 5]), "mask": ("bool", [16, 5]), "scale": ("float32", [])}
    assert all(isinstance(v, bool) for v in doc["inputs"]["mask"]["values"])
    assert doc["outputs"]["count"]["dtype"] == "int32"
    pixels = np.asarray(goldens("preprocessing-auto")["inputs"]["pixels"]["values"])
    assert pixels.min() >= 0 and pixels.max() <= 255 and pixels.max() > 200  # image bytes, not [0, 1)
    words = goldens("string_lookup-auto")["inputs"]["words"]
    assert words["dtype"] == "string" and all(isinstance(w, str) for w in words["values"])


def test_signatures_export_separately(records):
    auto, square = (json.loads((SUITE / "models" / f / "metadata.json").read_text()) for f in
                    ("two_signatures-auto", "two_signatures-square"))
    assert [o["name"] for o in auto["outputs"]] == ["y"] and [o["name"] for o in square["outputs"]] == ["y2"]


def test_kernel_list_matches_the_pinned_tfjs():
    printed = subprocess.run(["node", "scripts/tfjs_kernels.js"], cwd=CHECKOUT, capture_output=True, text=True, check=True)
    assert json.loads(printed.stdout) == json.loads(KERNELS_FILE.read_text()), "rerun: node scripts/tfjs_kernels.js > export/tfjs_kernels.json"


def test_custom_layer_needs_its_module(records, tmp_path):
    source = SUITE / "sources" / "custom_layer" / "custom_layer.keras"
    result = subprocess.run([sys.executable, "-m", "export", str(source), "--out", str(tmp_path)], cwd=CHECKOUT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "Could not locate class 'ScaledTanh'" in result.stderr and "--custom-objects" in result.stderr


def test_application_goldens_tell_images_apart():
    """A deep CNN with random weights can give every image the same output, and parity would then prove little."""
    for folder in ("mobilenet_v1-auto", "mobilenetv3small-auto", "efficientnetb0-auto", "convnexttiny-auto"):
        out = next(iter(goldens(folder)["outputs"].values()))
        probs = np.asarray(out["values"]).reshape(out["shape"])
        assert probs.std(axis=0).mean() > 0.01 and len(set(probs.argmax(axis=1))) > 1, (folder, probs.std(axis=0))
