"""The tape loop: exact SGD against a NumPy reference, learning on MNIST, and a clear NaN error."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from train import config, data
from train.loop import TrainingError, fit
from train.tasks import LINEAR, MLP


def numpy_sgd_linear(x, y, lr, steps):
    """Reference: full-batch gradient descent on mean squared error, from zeros."""
    w, b = np.zeros((x.shape[1], 1)), 0.0
    for _ in range(steps):
        err = x @ w + b - y
        w -= lr * 2 * x.T @ err / len(x)
        b -= lr * 2 * err.mean()
    return w, b


def test_linear_tape_loop_matches_numpy_gradient_descent():
    split = data.load_linear()
    cfg = config.DEFAULTS["linear"]
    model = LINEAR.build()
    history = fit(LINEAR, model, split, cfg, progress=False)
    w_ref, b_ref = numpy_sgd_linear(split.x_train.astype(np.float64), split.y_train.astype(np.float64), cfg.learning_rate, cfg.epochs)
    kernel, bias = (v.numpy() for v in model.trainable_variables)
    # float32 training vs float64 reference over 100 steps: agreement to ~1e-6 relative is measured.
    np.testing.assert_allclose(kernel, w_ref, rtol=1e-4)
    np.testing.assert_allclose(bias, [b_ref], rtol=1e-4)
    assert history[-1]["loss"] < history[0]["loss"] / 100


def test_mlp_learns_on_real_digits(offline_split):
    small = data.Split(offline_split.x_train[:2000], offline_split.y_train[:2000],
                       offline_split.x_test[:500], offline_split.y_test[:500], "subset")
    tf.keras.utils.set_random_seed(0)
    history = fit(MLP, MLP.build(), small, dataclasses.replace(config.DEFAULTS["mlp"], epochs=2), progress=False)
    assert history[1]["loss"] < history[0]["loss"]
    assert history[-1]["test_accuracy"] > 0.8  # chance is 0.1


def test_diverging_training_raises_a_clear_error():
    with pytest.raises(TrainingError, match="lower --learning-rate"):
        fit(LINEAR, LINEAR.build(), data.load_linear(),
            dataclasses.replace(config.DEFAULTS["linear"], learning_rate=1e6), progress=False)
