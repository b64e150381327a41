"""Models users bring (issue 18, "any model, no traceback"): keras-hub backbones with dict inputs and outputs through
.keras and model.export(), signature names the converter keys 'name:0', 0-d goldens, goldens that fit each input,
and every failure path of the exporter and the harness as one line (exit 2 bad input, exit 1 failed checks)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.support.helpers import verify_json
from tfjs_bridge import cli
from tfjs_bridge.common.paths import CHECKOUT
from tfjs_bridge.common.quiet import quiet_import, tf
from tfjs_bridge.export.goldens import golden_inputs_for

# A BERT-style backbone as small as keras-hub builds one: random weights, nothing downloaded.
BERT = {"vocabulary_size": 50, "num_layers": 1, "num_heads": 2, "hidden_dim": 8, "intermediate_dim": 16,
        "max_sequence_length": 8}
GRAPH = ["--format", "graph"]


def export(argv, capsys) -> tuple[int, list[str]]:
    """`tfjs-bridge export ARGV` in process: exit code and stderr lines, which never hold a traceback."""
    code = cli.main(["export", *map(str, argv)])
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err), err
    return code, err


def refused(argv, capsys, expect: str) -> None:
    """Exit 2 with one `error:` line naming expect."""
    code, err = export(argv, capsys)
    assert code == 2 and err and err[-1].startswith("error: ") and expect in err[-1], (argv, err)


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    """A tiny keras-hub BertBackbone saved both ways: {'keras': .keras file, 'export': model.export() folder}."""
    keras_hub = pytest.importorskip("keras_hub")
    quiet_import("keras").utils.set_random_seed(0)
    model = keras_hub.models.BertBackbone(**BERT)
    root = tmp_path_factory.mktemp("bert")
    model.save(root / "bert.keras")
    model.export(str(root / "bert_sm"), verbose=False)
    return {"keras": root / "bert.keras", "export": root / "bert_sm"}


@pytest.mark.slow
def test_keras_hub_backbones_export_both_ways_and_pass_in_tfjs(bert, tmp_path, capsys):
    # The graph format asked for (the layers format cannot carry keras-hub's classes: auto would try it first).
    out = tmp_path / "out"
    assert export([bert["keras"], "--custom-objects", "keras_hub", *GRAPH, "--out", out], capsys)[0] == 0
    assert export([bert["export"], *GRAPH, "--out", out], capsys)[0] == 0
    for folder in ("bert", "bert_sm"):
        meta = json.loads((out / folder / "metadata.json").read_text())
        assert [s["name"] for s in meta["inputs"]] == ["padding_mask", "segment_ids", "token_ids"]
        assert [s["name"] for s in meta["outputs"]] == ["pooled_output", "sequence_output"]  # the dict's keys
        assert meta["kind"] == "regression"  # vectors, not class scores: no argmax check
        # The converter keys both signatures by tensor name; metadata keeps the model's own names.
        assert set(json.loads((out / folder / "model.json").read_text())["signature"]["inputs"]) == {
            "padding_mask:0", "segment_ids:0", "token_ids:0"}
    # The same graph at another sequence length (goldens of 5 tokens, not 8): the attention's free length is kept,
    # the einsum rule's reshapes read it at run time.
    rng = np.random.default_rng(3)
    five = {"token_ids": rng.integers(0, BERT["vocabulary_size"], (4, 5), dtype=np.int32),
            "padding_mask": np.array([[1] * n + [0] * (5 - n) for n in (5, 3, 1, 4)], np.int32),
            "segment_ids": np.zeros((4, 5), np.int32)}
    np.savez(tmp_path / "five.npz", **five)
    assert export([bert["export"], *GRAPH, "--golden-inputs", tmp_path / "five.npz", "--name", "bert_len5", "--out", out], capsys)[0] == 0
    code, rows = verify_json(out)
    assert code == 0, rows
    for folder in ("bert", "bert_sm", "bert_len5"):
        meta = json.loads((out / folder / "metadata.json").read_text())
        assert [r["rule"] for r in meta["compat"]] == ["einsum"], meta.get("compat")
        for backend in ("cpu", "wasm"):  # wasm has no Einsum kernel: the einsum rule's BatchMatMuls run instead
            row = rows[(folder, backend)]
            assert row["pass"] and row["maxAbsDiff"] < 1e-5 and row["leakedTensors"] == 0, row


@pytest.mark.slow
def test_goldens_fit_each_input(bert, tmp_path, capsys):
    assert export([bert["keras"], "--custom-objects", "keras_hub", *GRAPH, "--out", tmp_path], capsys)[0] == 0
    doc = json.loads((tmp_path / "bert" / "goldens.json").read_text())
    arrays = {k: np.asarray(v["values"]).reshape(v["shape"]) for k, v in doc["inputs"].items()}
    ids, mask, segments = arrays["token_ids"], arrays["padding_mask"], arrays["segment_ids"]
    assert ids.shape == (16, 8)  # a free length becomes min(8, max_sequence_length)
    assert ids.min() >= 0 and ids.max() < BERT["vocabulary_size"] and ids.max() >= 10  # the vocabulary, not 0..9
    assert set(np.unique(segments)) <= {0, 1}
    for row in mask:  # leading ones, at least one real token, then padding
        real = int(row.sum())
        assert real >= 1 and row[:real].all() and not row[real:].any(), row
    assert len({int(r.sum()) for r in mask}) > 1  # lengths vary


def test_masks_and_segments_are_read_from_names_without_a_model():
    io = {"inputs": [{"name": "attention_mask", "shape": [None, 6], "dtype": "bool"},
                     {"name": "token_type_ids", "shape": [None, None], "dtype": "int64"}]}
    golden = golden_inputs_for(io, None)
    assert golden["attention_mask"].dtype == bool and golden["attention_mask"][:, 0].all()
    assert golden["token_type_ids"].shape == (16, 8) and set(np.unique(golden["token_type_ids"])) <= {0, 1}


def test_a_0d_golden_npy_feeds_a_scalar_input(tmp_path, capsys):
    module = tf.Module()
    module.serve = tf.function(lambda x: {"y": 2.0 * x + 1.0}, input_signature=[tf.TensorSpec([], tf.float32, name="x")])
    tf.saved_model.save(module, str(tmp_path / "scalar"), signatures={"serving_default": module.serve})
    np.save(tmp_path / "x.npy", np.float32(3.5))
    assert export([tmp_path / "scalar", "--golden-inputs", tmp_path / "x.npy", "--out", tmp_path / "out"], capsys)[0] == 0
    doc = json.loads((tmp_path / "out" / "scalar" / "goldens.json").read_text())
    assert doc["inputs"]["x"] == {"dtype": "float32", "shape": [], "values": [3.5]} and doc["outputs"]["y"]["values"] == [8.0]
    code, rows = verify_json(tmp_path / "out" / "scalar")
    assert code == 0 and all(r["pass"] for r in rows.values()), rows


@pytest.mark.slow
def test_exporter_failure_paths_are_one_line(bert, tmp_path, capsys):
    keras = quiet_import("keras")
    x, y = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    dict_model = keras.Model({"a": x, "b": y}, {"s": keras.layers.Dense(1, name="d1")(x)}, name="dict_dense")
    dict_model.save(tmp_path / "dict_dense.keras")
    image = keras.Input((8, 8, 4), name="image")
    keras.Model(image, keras.layers.Conv2D(4, 3, groups=2, name="grouped")(image), name="grouped").save(tmp_path / "grouped.keras")
    np.savez(tmp_path / "oov.npz", token_ids=np.full((2, 4), 999, "int32"), padding_mask=np.ones((2, 4), "int32"),
             segment_ids=np.zeros((2, 4), "int32"))
    np.savez(tmp_path / "missing.npz", token_ids=np.ones((2, 4), "int32"))
    np.savez(tmp_path / "rank.npz", token_ids=np.ones((2, 4, 1), "int32"), padding_mask=np.ones((2, 4), "int32"),
             segment_ids=np.zeros((2, 4), "int32"))
    np.save(tmp_path / "scalar.npy", np.float32(1.0))
    out = ["--out", tmp_path / "out"]
    hub = [bert["keras"], "--custom-objects", "keras_hub"]
    cases = [
        ([*hub, "--golden-inputs", tmp_path / "oov.npz"], "fails on its golden inputs (InvalidArgumentError: indices[0,0] = 999 is not in [0, 50))"),
        ([bert["export"], "--golden-inputs", tmp_path / "oov.npz"], "indices[0,0] = 999 is not in [0, 50)"),
        ([*hub, "--golden-inputs", tmp_path / "missing.npz"], "do not match the inputs"),
        ([*hub, "--golden-inputs", tmp_path / "rank.npz"], "does not fit input 'token_ids'"),
        ([*hub, "--golden-inputs", tmp_path / "scalar.npy"], "give a .npz with one array per input name"),
        ([bert["keras"], "--custom-objects", "no_such_module_here"], "importing it failed (ModuleNotFoundError"),
        ([tmp_path / "dict_dense.keras", "--format", "layers"], "takes or returns a dict of tensors"),
        ([tmp_path / "grouped.keras", "--format", "layers"], "groups=2, which tfjs-layers does not implement"),
        # The grouped-conv and inline-calls rules close it by default; without them the call is named and explained.
        ([tmp_path / "grouped.keras", *GRAPH, "--compat", "none"], "StatefulPartitionedCall: a function TensorFlow compiles with XLA"),
    ]
    for argv, expect in cases:
        refused([*argv, *out], capsys, expect)
    print(f"exporter: {len(cases)} failure paths of users' models, each one line, exit 2")


def test_unsupported_ops_keep_every_fix():
    from tfjs_bridge.export.convert import unsupported_ops_error

    message = str(unsupported_ops_error(ValueError("Unsupported Ops in the model before optimization\nErfc, Foo, StatefulPartitionedCall")))
    assert message.startswith("the graph uses ops tf.js does not implement: Erfc, Foo, StatefulPartitionedCall (")
    assert "Erfc: exact gelu computes erfc" in message and "Foo: replace it in the model" in message
    assert "grouped convolutions (groups>1)" in message and "replace them" not in message


@pytest.mark.slow
def test_harness_failure_paths_are_one_line(tmp_path):
    """verify's bad input exits 2 in one line; a folder past its budget is a failed row (exit 1), never a traceback."""
    linear = CHECKOUT / "web" / "models" / "linear"
    if not (linear / "metadata.json").is_file():
        pytest.skip("no web/models/linear: run `make models`")
    def run(*args):
        return subprocess.run([sys.executable, "-m", "tfjs_bridge", "verify", *map(str, args), "--no-report"], cwd=CHECKOUT,
                              capture_output=True, text=True, timeout=300)
    for bad in ("0", "-1", "x", "1e9"):
        result = run(linear, "--timeout", bad)
        assert result.returncode == 2 and "--timeout" in result.stderr and "Traceback" not in result.stderr, result.stderr
    late = run(linear, "--timeout", "0.001", "--json")
    assert late.returncode == 1 and "Traceback" not in late.stderr
    assert {r["error"] for r in json.loads(late.stdout)["rows"]} == {"timed out after 0.001 s (--timeout)"}
