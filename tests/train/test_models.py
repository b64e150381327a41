"""MyLinear and MyMLP: the architectures the seed notes describe."""

import numpy as np
import tensorflow as tf

from tfjs_bridge.train.models import MyLinear, MyMLP


def test_linear_starts_at_zero_and_is_one_dense_unit():
    model = MyLinear()
    out = model(tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert out.shape == (2, 1)
    np.testing.assert_array_equal(out.numpy(), 0.0)
    assert [v.shape for v in model.trainable_variables] == [(3, 1), (1,)]


def test_mlp_layers_and_softmax_output():
    model = MyMLP()
    x = tf.random.stateless_uniform((5, 28, 28), seed=(1, 2))
    probs = model(x).numpy()
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert (probs > 0).all()
    assert [v.shape for v in model.trainable_variables] == [(784, 100), (100,), (100, 10), (10,)]
    assert model.hidden.activation is tf.keras.activations.relu
