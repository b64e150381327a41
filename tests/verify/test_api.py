"""tfjs_bridge.verify, the Python API for users' own test suites: export, run the Node harness, report or raise."""

import json

import numpy as np
import pytest

import tfjs_bridge
from tfjs_bridge.common.errors import UserError
from tfjs_bridge.verify.api import ParityError


@pytest.fixture(scope="module")
def classifier(keras_modules):
    """A small Keras 3 classifier: 4 features → 3 classes."""
    keras = keras_modules["keras3"]
    keras.utils.set_random_seed(0)
    x = keras.Input((4,), name="features")
    y = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8, activation="relu")(x))
    return keras.Model(x, y)


def test_verify_an_in_memory_model_on_both_backends(classifier, tmp_path):
    inputs = np.random.default_rng(1).uniform(size=(8, 4)).astype(np.float32)
    report = tfjs_bridge.verify(classifier, inputs, keep=tmp_path)
    assert report.passed
    assert sorted((r["model"], r["backend"]) for r in report.rows) == [("model", "cpu"), ("model", "wasm")]
    assert all(r["maxAbsDiff"] <= r["tolerance"] for r in report.rows)
    assert report.folders == [tmp_path / "model"] and (tmp_path / "model" / "goldens.json").is_file()


def test_a_failed_check_raises_parity_error_naming_it(keras_modules):
    # A one-operand einsum with a repeated letter (a batch of diagonals), which no rule rewrites: wasm has no Einsum
    # kernel and tf.js's cpu einsum refuses repeated letters. Both rows fail, named as tf.js limitations; verify raises.
    keras = keras_modules["keras3"]

    class Diagonal(keras.layers.Layer):
        """Each matrix's diagonal, as an einsum."""

        def call(self, x):
            return keras.ops.einsum("bii->bi", x)

    x = keras.Input((3, 3), name="x")
    model = keras.Model(x, Diagonal()(x))
    inputs = np.random.default_rng(0).uniform(size=(2, 3, 3)).astype("float32")
    with pytest.raises(ParityError, match=r"on wasm: unsupported by tf\.js: tf\.js has no 'Einsum' kernel on wasm") as caught:
        tfjs_bridge.verify(model, inputs)
    rows = {r["backend"]: r for r in caught.value.report.rows}
    assert rows["cpu"]["unsupported"] == "tf.js cpu einsum: no duplicate axes", rows["cpu"]
    assert not rows["wasm"]["pass"] and not caught.value.report.passed


def test_attention_passes_on_wasm_through_the_einsum_rule(keras_modules):
    # Attention over free sequence lengths: the compatibility pass writes its Einsums as BatchMatMuls, the
    # reshapes' sizes read from the operands at run time.
    keras = keras_modules["keras3"]
    query, key = keras.Input((None, 4), name="query"), keras.Input((None, 4), name="key")
    model = keras.Model([query, key], keras.layers.MultiHeadAttention(num_heads=1, key_dim=2)(query, key))
    rng = np.random.default_rng(0)
    inputs = {"query": rng.uniform(size=(2, 3, 4)).astype("float32"), "key": rng.uniform(size=(2, 5, 4)).astype("float32")}
    report = tfjs_bridge.verify(model, inputs)
    assert report.passed and {r["backend"] for r in report.rows} == {"cpu", "wasm"}


def test_auto_is_decided_by_proof(keras_modules, tmp_path):
    # A layers model tf.js cannot run (tfjs-layers ignores keepdims=True, as in MobileNet v1's head): verify's auto,
    # like the export command's, ships the graph that passes, not the layers model its type calls for.
    keras = keras_modules["keras3"]
    x = keras.Input((8, 8, 3), name="image")
    h = keras.layers.GlobalAveragePooling2D(keepdims=True)(keras.layers.Conv2D(4, 3, activation="relu")(x))
    model = keras.Model(x, keras.layers.Reshape((3,))(keras.layers.Conv2D(3, 1)(h)))
    report = tfjs_bridge.verify(model, keep=tmp_path)
    assert report.passed and json.loads((tmp_path / "model" / "metadata.json").read_text())["format"] == "graph"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # the layers candidate is not left behind


def test_inputs_that_do_not_fit_are_a_user_error(classifier):
    with pytest.raises(UserError, match="does not fit input"):
        tfjs_bridge.verify(classifier, np.zeros((2, 5), np.float32))
