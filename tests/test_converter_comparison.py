"""The converter-comparison page (tests/suite/rawconv_page.py) from made-up measurements: no TensorFlow, no Node.

The measurement itself (`python -m tests.suite.rawconv`) is a run over the model suite, not a test.
"""

from tests.suite.rawconv_page import cut, markdown, support_rows

SUPPORT = """| model | export | format | rules | cpu | wasm | LiteRT.js wasm |
|---|---|---|---|---|---|---|
| CNN | `cnn-layers` | layers | - | pass 3.0e-08 | pass 4.5e-08 | pass 6.0e-08 |
| CNN | `cnn-layers-uint8` | layers uint8 | - | pass 8.1e-04 | pass 8.1e-04 | - |
| BERT | `bert-graph` | graph | einsum×2 | pass 4.8e-07 | ✗ tf.js has no 'Einsum' kernel on wasm |
"""
RECORDS = [
    {"case": "cnn", "export": "layers", "folder": "cnn-layers", "args": ["--format", "layers"], "exit": 0, "stderr": []},
    {"case": "cnn", "export": "layers-uint8", "folder": "cnn-layers-uint8", "args": ["--quantize", "uint8"], "exit": 0, "stderr": []},
    {"case": "bert", "export": "graph", "folder": "bert-graph", "args": ["--format", "graph"], "exit": 0, "stderr": []},
    {"case": "fft", "export": "auto", "folder": "fft-auto", "args": [], "exit": 2, "stderr": ["error: output is complex64"]},
]
INPUT_LAYER = "An InputLayer should be passed either a `batchInputShape` or an `inputShape`."


def ran(maxdiff, **extra):
    """A harness row of a model that ran."""
    return {"pass": maxdiff is not None and maxdiff <= 1e-4, "maxAbsDiff": maxdiff, "tolerance": 1e-4, "shape": [4, 2],
            "expectedShape": [4, 2], "leakedTensors": 0, "stage": "run", **extra}


def result(case, source, rows, refused=None, goldens="x"):
    """One model's measurement."""
    return {"case": case, "kind": case.upper(), "source": source, "refused": refused, "goldens": goldens, "rows": rows}


RESULTS = [
    result("cnn", "cnn.keras", {b: {"pass": False, "stage": "load", "error": INPUT_LAYER} for b in ("cpu", "wasm")}),
    result("bert", "bert", {"cpu": ran(4.8e-7), "wasm": ran(2e-7)}),
    result("fft", "fft", {"cpu": None, "wasm": None}, goldens=None),
]


def test_support_rows_read_every_table_row():
    rows = support_rows(SUPPORT)
    assert set(rows) == {"cnn-layers", "cnn-layers-uint8", "bert-graph"}
    assert rows["bert-graph"] == {"format": "graph", "cpu": "pass 4.8e-07", "wasm": "✗ tf.js has no 'Einsum' kernel on wasm"}


def test_page_counts_each_side_and_writes_each_message_once():
    page = markdown(RESULTS, RECORDS, SUPPORT)
    assert "the raw converter's output passes 1 on cpu and 1 on wasm; the bridge's 2 on cpu and 1 on wasm" in page
    assert "| CNN | `cnn.keras` | load failed [1] | `layers` pass 3.0e-08 / pass 4.5e-08 |" in page  # uint8 left out
    assert page.count("InputLayer") == 1 and "1. `An InputLayer should be passed either a 'batchInputShape'" in page
    assert "| FFT | `fft` | converted, not run (no goldens: the bridge refuses the model) | `auto` exit 2 [3] |" in page


def test_a_model_only_the_raw_converter_passes_is_named():
    page = markdown(RESULTS, RECORDS, SUPPORT)
    assert "- BERT on wasm: the raw converter pass 2.0e-07, the bridge `graph` pass 4.8e-07 / ✗ [2]" in page
    assert "BERT on cpu:" not in page  # both pass there


def test_a_row_that_ran_and_failed_says_why():
    rows = {"cpu": ran(None, shape=[8]), "wasm": ran(3e-2)}
    page = markdown([result("cnn", "cnn.h5", rows)], RECORDS[:1], SUPPORT)
    assert "FAIL output shape [8] for [4, 2] / FAIL max \\|Δ\\| 3.0e-02" in page


def test_messages_fit_one_table_cell():
    assert cut("a | b\n`c`  d") == "a / b 'c' d"
    assert len(cut("x" * 500)) == 200
