"""Keras 3 → tf_keras rebuild: same outputs, Keras 2 topology, clear errors for what tfjs-layers cannot load."""

import numpy as np
import pytest

from tests.support.keras_models import small_conv
from tfjs_bridge.export.keras_bridge import (
    REBUILD_TOLERANCE,
    UnsupportedModelError,
    is_graph_network,
    keras_flavour,
    to_tf_keras,
)

SAMPLE = np.random.default_rng(0).uniform(size=(4, 16, 16, 1)).astype(np.float32)


def test_keras3_functional_rebuild_matches(keras_modules):
    model = small_conv(keras_modules["keras3"])
    rebuilt = to_tf_keras(model, SAMPLE)
    assert keras_flavour(model) == "keras3" and keras_flavour(rebuilt) == "tf_keras"
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    # Measured 3e-8: tf_keras and Keras 3 order batch-norm arithmetic differently (an ulp at ~0.3).
    np.testing.assert_allclose(rebuilt(SAMPLE).numpy(), np.asarray(model(SAMPLE)), rtol=0, atol=REBUILD_TOLERANCE)
    # tfjs-layers cannot build a Dense after an unresolved -1: the rebuild resolves it.
    assert rebuilt.get_layer("reshape").target_shape == (128,)  # 4x4x8


def test_keras3_sequential_rebuild_is_exact(keras_modules):
    keras = keras_modules["keras3"]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(3), keras.layers.Softmax()])
    x = SAMPLE.reshape(-1)[:24].reshape(4, 6)
    rebuilt = to_tf_keras(model, x)
    assert type(rebuilt).__name__ == "Sequential"
    np.testing.assert_array_equal(rebuilt(x).numpy(), np.asarray(model(x)))


def test_tf_keras_models_pass_through_with_reshape_resolved(keras_modules):
    model = small_conv(keras_modules["tf_keras"])
    rebuilt = to_tf_keras(model, SAMPLE)
    assert rebuilt.get_layer("reshape").target_shape == (128,)  # 4x4x8
    np.testing.assert_array_equal(rebuilt(SAMPLE).numpy(), model(SAMPLE).numpy())


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_unsupported_layer_is_named_with_the_graph_suggestion(keras_modules, flavour):
    keras = keras_modules[flavour]
    x = keras.Input((8,))
    model = keras.Model(x, keras.layers.Dense(2)(keras.layers.UnitNormalization(name="norm")(x)))
    with pytest.raises(UnsupportedModelError, match=r"^layer 'norm' \(UnitNormalization\) is not supported by the layers format; use --format graph$"):
        to_tf_keras(model, np.zeros((1, 8), np.float32))


def test_subclassed_models_need_the_graph_format(keras_modules):
    from tfjs_bridge.train.models import MyLinear

    model = MyLinear()
    model(np.zeros((1, 3), np.float32))
    assert not is_graph_network(model)
    with pytest.raises(UnsupportedModelError, match="subclassed .* use --format graph"):
        to_tf_keras(model, np.zeros((1, 3), np.float32))
