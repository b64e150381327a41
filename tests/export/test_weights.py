"""--quantize parsing, bytes versus float32, and exported weights read back."""

import numpy as np
import pytest

from tfjs_bridge.export.errors import ExportError
from tfjs_bridge.export.weights import (
    load_read_back,
    parse_quantize,
    quantization_label,
    read_back,
    weight_bytes,
)


@pytest.mark.parametrize("specs, qmap, label", [
    (None, None, None),
    (["float16"], {"float16": True}, "float16"),
    (["uint8=*/kernel", "uint8=dense*"], {"uint8": ["*/kernel", "dense*"]}, "uint8"),
    (["float16", "uint8=hidden*"], {"float16": True, "uint8": ["hidden*"]}, "uint8"),
])
def test_quantize_specs(specs, qmap, label):
    assert parse_quantize(specs) == qmap
    assert quantization_label(qmap) == label


@pytest.mark.parametrize("specs, message", [
    (["int4"], "mode must be one of float16, uint16, uint8"),
    (["float16", "uint8"], "only one mode can apply to all weights"),
    (["uint8", "uint8=dense*"], "uint8 already applies to all weights"),
])
def test_bad_quantize_specs(specs, message):
    with pytest.raises(ExportError, match=message):
        parse_quantize(specs)


def test_float32_exports_read_back_exactly(exported):
    import keras

    folder = exported / "linear"
    values = read_back(folder)
    assert weight_bytes(folder) == {"on_disk": 16, "float32": 16, "ratio": 1.0}
    assert [v.shape for _, v in values] == [(3, 1), (1,)]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    load_read_back(model, folder)
    np.testing.assert_array_equal(model.get_weights()[0], values[0][1])


def test_read_back_refuses_a_model_of_another_shape(exported):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ExportError, match=r"no exported weight of shape \(4, 1\)"):
        load_read_back(model, exported / "linear")
