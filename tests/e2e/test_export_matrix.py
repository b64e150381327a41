"""The export matrix: {linear, mlp, conv} × {graph, layers} × {Keras 3, tf_keras} × {float32, float16, uint8}.

Everything is exported once into one folder and checked by one Node run (cpu and wasm), which keeps the
matrix to about a minute on 2 cores.
"""

import dataclasses
import json
import os
import subprocess

import pytest

from tests.support.helpers import edited_copy, shift_first_output, verify_json
from tests.support.keras_models import small_conv
from tfjs_bridge.common.paths import CHECKOUT
from tfjs_bridge.export.convert import ExportOptions, export_source
from tfjs_bridge.export.sources import from_artifact, from_keras
from tfjs_bridge.export.weights import parse_quantize

pytestmark = pytest.mark.slow  # 36 exports and two Node runs

QUANTS = (None, "float16", "uint8")
FORMATS = ("graph", "layers")


def matrix_sources(artifacts, keras_modules):
    """(model, flavour, source): the project's models as trained (Keras 3) and as tf_keras twins, and the CNN."""
    for name in ("linear", "mlp"):
        source = from_artifact(artifacts / name)
        yield name, "keras3", source
        yield name, "tf_keras", dataclasses.replace(source, keras_model=source.twin("tf_keras"), saved_model=None)
    for flavour, keras in keras_modules.items():
        yield "conv", flavour, from_keras(small_conv(keras), "conv", kind="classification")


@pytest.fixture(scope="module")
def matrix(artifacts, keras_modules, tmp_path_factory):
    """Every combination exported into one folder, named <model>-<format>-<flavour>-<quantization>."""
    out = tmp_path_factory.mktemp("matrix")
    metas = {}
    for name, flavour, source in matrix_sources(artifacts, keras_modules):
        for fmt in FORMATS:
            for quant in QUANTS:
                folder = f"{name}-{fmt}-{flavour}-{quant or 'float32'}"
                qmap = parse_quantize([quant] if quant else None)
                metas[folder] = export_source(source, out, ExportOptions(fmt, qmap, flavour=flavour, folder=folder))[0]
    return out, metas


DRIFTED = "mlp-layers-keras3-uint8"


@pytest.fixture(scope="module")
def verified(matrix, tmp_path_factory):
    """One Node run (`node verify/verify.js --json`) over the whole matrix and a negative control: (exit code, rows).

    The control is the uint8 layers MLP with one expected value shifted by 4x its tolerance (0.2 against 5e-2),
    goldens.json resealed so that only the parity check can catch it.
    """
    out, _ = matrix
    control = tmp_path_factory.mktemp("drifted")
    edited_copy(out / DRIFTED, control / f"{DRIFTED}-drifted", goldens=shift_first_output(0.2))
    return verify_json(out, control, timeout=600)


def test_every_combination_passes_in_node(matrix, verified):
    _, metas = matrix
    assert len(metas) == 3 * 2 * 2 * 3
    _, rows = verified
    passed = sorted(key for key, row in rows.items() if row["pass"])
    assert passed == sorted((name, backend) for name in metas for backend in ("cpu", "wasm"))
    for (folder, backend), row in sorted(rows.items()):
        print(f"{folder:32} {backend:5} max |Δ| {row.get('maxAbsDiff', float('nan')):.2e} "
              f"tolerance {row.get('tolerance', float('nan')):.1e} {'pass' if row['pass'] else 'FAIL'}")


def test_metadata_records_format_flavour_and_encoding(matrix):
    _, metas = matrix
    for folder, meta in metas.items():
        name, fmt, flavour, quant = folder.split("-")
        assert meta["format"] == fmt
        if quant == "float32":
            assert meta["quantization"] is None
        else:
            assert meta["quantization"] == {"dtype": quant, "map": {quant: "*"}}
        assert meta["source"]["type"] == ("in_memory" if name == "conv" else "artifact")
        # Every format of an artifact points the web app at the artifact's SavedModel, by its name.
        assert meta["counterpart"] == (None if name == "conv" else name)
        if fmt == "layers" or name == "conv" or flavour == "tf_keras":
            assert meta["source"]["keras"] == flavour  # the model the export was made from
        else:
            assert meta["source"]["keras"] is None  # straight from the trained SavedModel


def test_quantization_shrinks_weights(matrix):
    _, metas = matrix
    for folder, meta in metas.items():
        ratio = meta["bytes"]["on_disk"] / meta["bytes"]["float32"]
        expected = {"float32": 1.0, "float16": 0.5, "uint8": 0.25}[folder.split("-")[-1]]
        # Graph exports also hold a few int32 constants (shapes) that stay 4 bytes; uint8 adds nothing per tensor.
        assert expected <= ratio <= expected + 0.02, (folder, meta["bytes"])


def test_mlp_accuracy_after_quantization_is_recorded(matrix):
    _, metas = matrix
    for folder, meta in metas.items():
        if not folder.startswith("mlp") or meta["quantization"] is None:
            assert "accuracy" not in meta
            continue
        acc = meta["accuracy"]
        assert acc["float32"] > 0.8 and abs(acc["change"]) <= 0.01, (folder, acc)
        assert acc["exported"] == pytest.approx(acc["float32"] + acc["change"])


def test_keras3_layers_exports_use_the_keras2_topology(matrix):
    out, metas = matrix
    for folder in metas:
        if "-layers-" not in folder:
            continue
        model = json.loads((out / folder / "model.json").read_text())
        text = json.dumps(model["modelTopology"])
        assert model["format"] == "layers-model" and model["generatedBy"].startswith("keras v2")
        assert '"batch_input_shape"' in text and '"batch_shape"' not in text and "DTypePolicy" not in text


def test_layers_models_keep_training_in_tfjs(matrix, verified):
    """The Node test fits each float32 layers classifier for a few steps on its goldens: the loss must go down."""
    out, _ = matrix
    result = subprocess.run(["node", "--test", "tests/js/trainable.test.js"], cwd=CHECKOUT, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "TFJS_BRIDGE_MODELS": str(out)})
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("mlp-layers-keras3-float32", "mlp-layers-tf_keras-float32", "conv-layers-keras3-float32"):
        assert f"{name} loss" in result.stdout


def test_drift_beyond_a_quantized_tolerance_fails(verified):
    """Negative control: shifting one expected value of a uint8 export by 4x its tolerance (0.2 against 5e-2) must fail."""
    code, rows = verified
    assert code == 1
    for backend in ("cpu", "wasm"):
        row = rows[(f"{DRIFTED}-drifted", backend)]
        assert not row["pass"] and "error" not in row and row["tolerance"] == 5e-2, row
        assert row["maxAbsDiff"] > row["tolerance"]
