"""`--format auto` decided by proof (export/proof.py): candidates are verified in tf.js on cpu and wasm through the
dispatcher's prove hook, and the first that passes everywhere ships; without Node, today's choice with one note."""

import contextlib
import io
import json

import pytest

import tfjs_bridge.cli
from tfjs_bridge.common.quiet import quiet_import
from tfjs_bridge.export.cli import main
from tfjs_bridge.export.proof import errors, failures, missing_rules


def keras():
    """Keras 3, seeded."""
    module = quiet_import("keras")
    module.utils.set_random_seed(0)
    return module


def run(command, argv) -> tuple[int, str]:
    """A command line run in process; its exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = command(argv)
    return code, err.getvalue()


def export(argv) -> tuple[int, str]:
    """`tfjs-bridge export ARGV` in process, with the hooks the dispatcher hands over."""
    return run(lambda a: tfjs_bridge.cli.run("export", a), argv)


def meta(folder) -> dict:
    return json.loads((folder / "metadata.json").read_text())


@pytest.fixture(scope="module")
def keepdims_file(tmp_path_factory):
    """MobileNet v1's head: GlobalAveragePooling2D(keepdims=True) then a 1x1 conv (conv_preds) and a reshape."""
    k = keras()
    x = k.Input((8, 8, 3), name="image")
    h = k.layers.GlobalAveragePooling2D(keepdims=True, name="pool")(k.layers.Conv2D(4, 3, activation="relu", name="conv")(x))
    h = k.layers.Reshape((3,), name="flat")(k.layers.Conv2D(3, 1, name="conv_preds")(h))
    path = tmp_path_factory.mktemp("keepdims") / "keepdims.keras"
    k.Model(x, k.layers.Softmax(name="probs")(h), name="keepdims").save(path)
    return path


@pytest.fixture(scope="module")
def gru_file(tmp_path_factory):
    """A GRU with reset_after=True (the layers format cannot carry it): a While loop in the graph format."""
    k = keras()
    tokens = k.Input((5,), dtype="int32", name="tokens")
    h = k.layers.GRU(3, name="gru")(k.layers.Embedding(10, 3, name="embedding")(tokens))
    path = tmp_path_factory.mktemp("gru") / "gru.keras"
    k.Model(tokens, k.layers.Dense(2, name="out")(h), name="gru").save(path)
    return path


@pytest.mark.slow
def test_auto_never_ships_a_layers_model_tfjs_cannot_run(keepdims_file, tmp_path):
    code, err = export([str(keepdims_file), "--out", str(tmp_path)])
    assert code == 0, err
    assert meta(tmp_path / "keepdims")["format"] == "graph"
    assert "note: keepdims: exported as a graph model: the layers model failed in tf.js (cpu: " in err, err
    assert "tfjs-layers gives layer 'conv_preds' a rank-2 input where Keras gives rank 4" in err  # the labelled cause
    assert [p.name for p in tmp_path.iterdir()] == ["keepdims"]  # the candidates are gone


@pytest.mark.slow
def test_proof_adds_the_rule_a_failure_names(gru_file, tmp_path):
    code, err = export([str(gru_file), "--out", str(tmp_path), "--compat", "none"])
    assert code == 0, err
    assert "graph failed in tf.js (wasm: " in err and "adding rule unroll-rnn" in err, err
    assert meta(tmp_path / "gru")["compat"] == [{"rule": "unroll-rnn", "count": 1}]


def test_failures_name_the_check_a_row_missed():
    # The same reasons `tfjs_bridge.verify` gives (tfjs_bridge/common/rows.py): a labelled limitation, or the check.
    shape = {"backend": "wasm", "pass": False, "maxAbsDiff": 0.0, "tolerance": 1e-4, "argmaxAgreement": 1.0,
             "leakedTensors": 0, "shape": [64], "expectedShape": [16, 4]}
    labelled = {"backend": "cpu", "pass": False, "error": "Kernel 'Einsum' not registered for backend 'wasm'",
                "unsupported": "tf.js has no 'Einsum' kernel on wasm"}
    second = {**shape, "outputs": [{"name": "y", "shape": [2], "expectedShape": [2]}, {"name": "z", "shape": [8], "expectedShape": [2, 4]}]}
    assert failures([shape, second, labelled]) == ["wasm: output shape [64] != expected [16, 4]",
                                                   "wasm: output shape of 'z' [8] != expected [2, 4]",
                                           "cpu: unsupported by tf.js: tf.js has no 'Einsum' kernel on wasm"]
    assert missing_rules(failures([labelled]) + errors([labelled]), ()) == ("einsum",)  # matched on tf.js's own words


def test_no_passing_candidate_ships_the_best_naming_failures_exit_1(keepdims_file, tmp_path):
    # The harness names the candidate's file, staged in a temporary folder; the line names the shipped folder's.
    failing = lambda folder: [{"backend": b, "pass": False, "error": f"{folder}/model.json: {b} broke"} for b in ("cpu", "wasm")]  # noqa: E731
    code, err = run(lambda a: main(a, prove=failing, prove_missing=lambda: None), [str(keepdims_file), "--out", str(tmp_path)])
    assert code == 1
    shipped = tmp_path / "keepdims" / "model.json"
    assert f"error: no candidate passes in tf.js everywhere; shipped the best: keepdims: cpu: {shipped}: cpu broke" in err, err
    assert f"keepdims: wasm: {shipped}: wasm broke" in err
    assert meta(tmp_path / "keepdims")["format"] == "graph"


def test_without_node_auto_is_todays_choice_with_one_note(keepdims_file, tmp_path):
    def never(folder):
        raise AssertionError("no proof can be made without Node")
    code, err = run(lambda a: main(a, prove=never, prove_missing=lambda: "Node.js is not installed: install Node 20"),
                    [str(keepdims_file), "--out", str(tmp_path)])
    assert code == 0, err
    assert err.splitlines() == ["note: --format auto chose each format without proving it in tf.js "
                                "(Node.js is not installed: install Node 20)"]
    assert meta(tmp_path / "keepdims")["format"] == "layers"
