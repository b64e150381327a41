"""Users' own models: .keras, .h5 and SavedModel directories exported with goldens, checked in Node."""

import json
import warnings

import numpy as np
import pytest

from tests.support.helpers import golden_arrays, verify
from tests.support.keras_models import small_conv
from tfjs_bridge.export.cli import main
from tfjs_bridge.export.errors import ExportError
from tfjs_bridge.export.goldens import GOLDEN_COUNT, golden_inputs_for
from tfjs_bridge.export.sources import from_path


@pytest.fixture(scope="module")
def user_models(tmp_path_factory, keras_modules, artifacts):
    """A Keras 3 .keras CNN, a tf_keras .h5 sequential model, and a bare SavedModel directory."""
    root = tmp_path_factory.mktemp("user_models")
    small_conv(keras_modules["keras3"]).save(root / "cnn.keras")
    tf_keras = keras_modules["tf_keras"]
    tf_keras.utils.set_random_seed(0)
    seq = tf_keras.Sequential([tf_keras.Input((5,)), tf_keras.layers.Dense(7, activation="tanh"), tf_keras.layers.Dense(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf_keras calls .h5 legacy; users still have such files
        seq.save(root / "regressor.h5")
    import shutil

    shutil.copytree(artifacts / "mlp" / "saved_model", root / "digits")
    np.save(root / "digits_inputs.npy", np.load(artifacts / "mlp" / "golden_inputs.npy")[:8])
    return root


@pytest.fixture(scope="module")
def user_exports(user_models, tmp_path_factory):
    """`python -m export PATH` on each, in process; the CNN also as both formats, float16, in small shards."""
    out = tmp_path_factory.mktemp("user_web_models")
    assert main([str(user_models / "cnn.keras"), "--out", str(out)]) == 0
    assert main([str(user_models / "regressor.h5"), "--out", str(out)]) == 0
    assert main([str(user_models / "digits"), "--out", str(out), "--golden-inputs", str(user_models / "digits_inputs.npy")]) == 0
    assert main([str(user_models / "cnn.keras"), "--out", str(out), "--format", "layers", "--quantize", "float16",
                 "--shard-size", "1000", "--name", "cnn-f16"]) == 0
    return out


def meta_of(folder):
    return json.loads((folder / "metadata.json").read_text())


def test_formats_follow_the_model_type(user_exports):
    cnn, regressor, digits = (meta_of(user_exports / name) for name in ("cnn", "regressor", "digits"))
    assert cnn["format"] == "layers" and cnn["source"] == {"type": "keras", "name": "cnn", "keras": "keras3"}
    assert regressor["format"] == "layers" and regressor["source"] == {"type": "h5", "name": "regressor", "keras": "keras3"}
    assert digits["format"] == "graph" and digits["source"] == {"type": "saved_model", "name": "digits", "keras": None}
    # Only a SavedModel folder can be the web app's Python counterpart, found by its folder name.
    assert (cnn["counterpart"], regressor["counterpart"], digits["counterpart"]) == (None, None, "digits")
    assert sorted(p.name for p in user_exports.iterdir()) == ["cnn", "cnn-f16", "digits", "regressor"]


def test_goldens_are_seeded_or_given(user_exports, user_models):
    cnn = meta_of(user_exports / "cnn")
    assert cnn["kind"] == "classification" and cnn["goldens"]["count"] == GOLDEN_COUNT
    cnn_inputs, _ = golden_arrays(user_exports / "cnn")
    assert cnn_inputs.shape == (GOLDEN_COUNT, 16, 16, 1) and cnn["inputs"][0]["name"] == "pixels"
    assert meta_of(user_exports / "regressor")["kind"] == "regression"
    digits_inputs, _ = golden_arrays(user_exports / "digits")
    np.testing.assert_array_equal(digits_inputs, np.load(user_models / "digits_inputs.npy"))
    io = {"inputs": [{"name": "x", "shape": [None, 4], "dtype": "float32"}]}
    np.testing.assert_array_equal(golden_inputs_for(io, None)["x"], golden_inputs_for(io, None)["x"])


def test_small_shards_are_all_listed(user_exports):
    meta = meta_of(user_exports / "cnn-f16")
    assert len(meta["files"]) > 1 and all(f["bytes"] <= 1000 for f in meta["files"])
    assert meta["quantization"] == {"dtype": "float16", "map": {"float16": "*"}}
    assert meta["bytes"]["on_disk"] / meta["bytes"]["float32"] < 0.55


@pytest.mark.slow
def test_user_exports_pass_in_node(user_exports):
    result = verify(user_exports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 8 checks passed" in result.stdout  # 4 models x cpu, wasm


def test_keras_files_load_in_safe_mode(tmp_path, keras_modules):
    keras = keras_modules["keras3"]
    x = keras.Input((3,))
    keras.Model(x, keras.layers.Lambda(lambda t: t * 2)(x)).save(tmp_path / "lambda.keras")
    with pytest.raises(ExportError, match=r"lambda.keras: cannot load Keras model \(.*safe_mode"):
        from_path(tmp_path / "lambda.keras")


@pytest.mark.parametrize("name, message", [
    ("notes.txt", "unsupported file type '.txt'"),
    ("empty_dir", "not a SavedModel directory"),
    ("broken.keras", "cannot load Keras model"),
])
def test_bad_paths_are_one_line_errors(tmp_path, name, message):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ExportError, match=message) as err:
        from_path(tmp_path / name)
    assert "\n" not in str(err.value)


def test_golden_inputs_must_fit_the_input(tmp_path):
    np.save(tmp_path / "g.npy", np.zeros((2, 5), np.float32))
    with pytest.raises(ExportError, match=r"shape \[2, 5\] does not fit input 'x' \[None, 4\]"):
        golden_inputs_for({"inputs": [{"name": "x", "shape": [None, 4], "dtype": "float32"}]}, tmp_path / "g.npy")
    with pytest.raises(ExportError, match="free dimensions: pass --golden-inputs"):
        golden_inputs_for({"inputs": [{"name": "x", "shape": [None, None, 3], "dtype": "float32"}]}, None)
