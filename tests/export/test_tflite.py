"""export --runtime tfjs,litert: model.tflite beside the tf.js files, its record in metadata.json, and its refusals."""

import hashlib
import warnings

import numpy as np
import pytest

from tests.support.helpers import read_json
from tests.support.keras_models import tiny_classifier as tiny
from tfjs_bridge.common import schema
from tfjs_bridge.common.contract import IntegrityError, verify_folder
from tfjs_bridge.export.convert import ExportOptions, export_source
from tfjs_bridge.export.sources import from_keras

LITERT = ExportOptions("graph", runtimes=("tfjs", "litert"))


def test_tflite_is_recorded_with_one_signature_per_fixed_batch(litert_folder):
    meta = read_json(litert_folder / "metadata.json")
    litert, blob = meta["litert"], (litert_folder / "model.tflite").read_bytes()
    assert meta["schema"] == schema.VERSION == "3.1"
    assert (litert["file"], litert["bytes"], litert["sha256"]) == ("model.tflite", len(blob), hashlib.sha256(blob).hexdigest())
    assert litert["quantization"] is None and "TFLITE_BUILTINS" in litert["converter"]
    assert [s["key"] for s in litert["signatures"]] == ["batch_1", "batch_16"]  # 1 and the goldens' 16 rows
    first = litert["signatures"][1]
    assert first["inputs"] == [{"name": "x", "index": 0, "shape": [16, 4], "dtype": "float32"}]
    assert first["outputs"] == [{"name": meta["outputs"][0]["name"], "index": 0, "shape": [16, 3], "dtype": "float32"}]
    assert verify_folder(litert_folder)["litert"] == litert  # the store's integrity check accepts it


def test_tampered_tflite_is_refused_by_the_store(litert_folder, tmp_path):
    import shutil

    copy = shutil.copytree(litert_folder, tmp_path / "tiny")
    blob = bytearray((copy / "model.tflite").read_bytes())
    blob[-1] ^= 1
    (copy / "model.tflite").write_bytes(bytes(blob))
    with pytest.raises(IntegrityError, match="model.tflite: sha256 mismatch, the TFLite model's bytes were altered"):
        verify_folder(copy)
    (copy / "model.tflite").unlink()
    with pytest.raises(IntegrityError, match="model.tflite: TFLite model missing"):
        verify_folder(copy)


def test_tflite_runs_in_python_as_tensorflow_does(litert_folder):
    """The flatbuffer itself is right before any JS runs: TFLite's own interpreter on the goldens."""
    from tfjs_bridge.common.quiet import tf

    goldens = read_json(litert_folder / "goldens.json")
    x = np.asarray(goldens["inputs"]["x"]["values"], np.float32).reshape(16, 4)
    (out,) = goldens["outputs"]
    expected = np.asarray(goldens["outputs"][out]["values"], np.float32).reshape(16, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TF 2.19 calls tf.lite.Interpreter deprecated in favour of ai_edge_litert
        runner = tf.lite.Interpreter(model_path=str(litert_folder / "model.tflite")).get_signature_runner("batch_16")
    assert np.abs(runner(x=x)[out] - expected).max() < 1e-6


def test_a_dtype_litert_lacks_gets_one_line_and_the_tfjs_export_goes_on(keras_modules, tmp_path, capfd):
    (meta,) = export_source(from_keras(tiny(keras_modules["keras3"], "wide", "int64"), "wide"), tmp_path, LITERT)
    err = capfd.readouterr().err
    assert "note: wide-graph: no model.tflite for LiteRT.js: input 'x' is int64; LiteRT.js has float32, int32 and uint8 tensors only" in err
    assert meta["litert"] == {"refused": "input 'x' is int64; LiteRT.js has float32, int32 and uint8 tensors only"}
    assert (tmp_path / "wide-graph" / "model.json").is_file() and not (tmp_path / "wide-graph" / "model.tflite").exists()


def test_ops_outside_the_builtins_are_named(keras_modules, tmp_path, capfd):
    keras = keras_modules["keras3"]
    from tfjs_bridge.common.quiet import tf

    x = keras.Input(shape=(3,), name="m")
    y = keras.layers.Lambda(lambda t: tf.math.cumprod(t, axis=1))(x)  # tf.js has Cumprod, TFLite's builtins do not
    (meta,) = export_source(from_keras(keras.Model(x, y), "cumprod", kind="regression"), tmp_path, LITERT)
    assert meta["litert"]["refused"].startswith("TF ops outside the TFLite builtins: Cumprod"), meta["litert"]
    assert "note: cumprod-graph: no model.tflite for LiteRT.js: TF ops outside the TFLite builtins" in capfd.readouterr().err


@pytest.mark.parametrize("quantize, recorded", [("float16", "float16"), ("uint8", "int8")])
def test_quantize_follows_to_tflite(keras_modules, tmp_path, quantize, recorded):
    from tfjs_bridge.export.weights import parse_quantize

    options = ExportOptions("graph", parse_quantize([quantize]), runtimes=("tfjs", "litert"), litert_batches=(2,))
    (meta,) = export_source(from_keras(tiny(keras_modules["keras3"]), "q"), tmp_path, options)
    assert meta["litert"]["quantization"] == recorded
    assert [s["batch"] for s in meta["litert"]["signatures"]] == [1, 2, 16]  # 2 beside the default 1 and 16


def test_uint16_has_no_tflite_counterpart(keras_modules, tmp_path):
    from tfjs_bridge.export.weights import parse_quantize

    options = ExportOptions("graph", parse_quantize(["uint16"]), runtimes=("tfjs", "litert"))
    (meta,) = export_source(from_keras(tiny(keras_modules["keras3"]), "q16"), tmp_path, options)
    assert meta["litert"] == {"refused": "--quantize uint16 has no TFLite counterpart (float16, or uint8 → dynamic-range int8)"}


@pytest.mark.parametrize("args, message", [
    (["--runtime", "litert"], "tfjs is always exported (model.json is the folder's contract): give tfjs,litert"),
    (["--runtime", "tfjs,onnx"], "unknown runtime onnx: choose from tfjs, litert"),
    (["--litert-batch", "8"], "--litert-batch is for --runtime tfjs,litert"),
    (["--runtime", "tfjs,litert", "--litert-batch", "0"], "'0': give 1 to 16 batch sizes from 1 to 100000"),
])
def test_bad_runtime_options_exit_2_with_one_line(cli, args, message):
    code, _, err = cli("export", "mlp", *args)
    assert code == 2 and message in err.strip().splitlines()[-1], err


def test_an_output_tflite_leaves_dynamic_is_refused(tmp_path):
    """A tf.cond whose branches differ in shape: TFLite keeps [-1, 3] at a fixed batch, which LiteRT.js cannot size."""
    from tfjs_bridge.common.quiet import tf
    from tfjs_bridge.export.sources import from_path

    class Branchy(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def serve(self, x):
            return {"y": tf.cond(tf.reduce_sum(x) > 0, lambda: 2 * x, lambda: x[:1])}

    module = Branchy()
    tf.saved_model.save(module, str(tmp_path / "branchy"), signatures={"serving_default": module.serve})
    (meta,) = export_source(from_path(tmp_path / "branchy", kind="regression"), tmp_path / "out", LITERT)
    assert meta["litert"] == {"refused": "TFLite leaves 'y' a dynamic shape [-1, 3] even at a fixed batch; "
                                         "LiteRT.js needs static shapes"}


def test_the_schema_refuses_a_litert_record_no_reader_could_use(litert_folder):
    meta = read_json(litert_folder / "metadata.json")
    meta["litert"]["signatures"][0]["inputs"][0]["dtype"] = "int64"
    with pytest.raises(schema.SchemaError, match="metadata.json: litert: dict fits none of the allowed forms"):
        schema.validate(meta)
    meta["litert"] = {"refused": ""}
    with pytest.raises(schema.SchemaError, match="litert"):
        schema.validate(meta)
