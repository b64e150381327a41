"""The default tape loop's fused Adam update is Adam: the same weights as Keras 3's Adam and as the textbook maths."""

import numpy as np

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train.adam import fused_adam, update_rule
from tfjs_bridge.train.models import MyMLP

LR, B1, B2, EPS = 1e-2, 0.9, 0.999, 1e-7


def reference_adam(start: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    """Adam in NumPy float64, as Kingma & Ba and Keras 3 write it (epsilon added to sqrt(v), bias-corrected step)."""
    var, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    lr = np.float64(np.float32(LR))  # Keras keeps the learning rate in a float32 variable
    for t, g in enumerate(grads, start=1):
        m += (g - m) * (1 - B1)
        v += (g * g - v) * (1 - B2)
        var -= m * (lr * np.sqrt(1 - B2**t) / (1 - B1**t)) / (np.sqrt(v) + EPS)
    return var


def adam_on_sequence(start: np.ndarray, grads: list[np.ndarray], fused: bool) -> np.ndarray:
    """A float64 variable after applying grads one by one with fused or Keras Adam."""
    var = tf.keras.Variable(start, dtype="float64")
    optimizer = tf.keras.optimizers.Adam(learning_rate=LR, beta_1=B1, beta_2=B2, epsilon=EPS)
    optimizer.build([var])
    apply = fused_adam(optimizer) if fused else optimizer.apply_gradients
    for g in grads:
        apply([(tf.constant(g), var)])
    return var.numpy()


def test_fused_adam_is_adams_maths_in_float64():
    rng = np.random.default_rng(0)
    start = rng.normal(size=50)
    grads = [rng.normal(scale=10.0 ** rng.integers(-6, 1), size=50) for _ in range(20)]
    expected = reference_adam(start, grads)
    # Rounding is out of the way in float64, so this compares the maths: measured max |Δ| 0 over 20 steps,
    # where a wrong bias correction, epsilon inside the square root or a step count off by one moves it by 5e-3 to 2e-2.
    assert np.abs(adam_on_sequence(start, grads, fused=True) - expected).max() < 1e-12
    # Keras's own Adam is the same maths with some float32 arithmetic inside (measured 5.9e-7 off after these 20 steps).
    assert np.abs(adam_on_sequence(start, grads, fused=False) - expected).max() < 1e-5


def mlp_after_one_step(fused: bool, steps: int = 1) -> list[np.ndarray]:
    """MyMLP's float32 weights after `steps` tape steps on fixed data, updated by fused or Keras Adam."""
    tf.keras.utils.set_random_seed(0)
    model, optimizer = MyMLP(), tf.keras.optimizers.Adam(learning_rate=LR)
    model(tf.zeros([1, 28, 28]))
    optimizer.build(model.trainable_variables)
    apply = fused_adam(optimizer) if fused else optimizer.apply_gradients
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(32, 28, 28)).astype(np.float32), rng.integers(0, 10, 32)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)))
        apply(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return [w.numpy() for w in model.weights]


def test_one_training_step_matches_keras_adam():
    keras, fused, start = mlp_after_one_step(False), mlp_after_one_step(True), mlp_after_one_step(False, steps=0)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(keras, fused, strict=True))
    moved = max(float(np.abs(a - b).max()) for a, b in zip(keras, start, strict=True))
    assert diff < 1e-6 and moved > 1e-3  # measured 7e-8 (float32 rounding) against a step of ~1e-2


def test_plain_adam_gets_the_fused_update():
    adam, sgd = tf.keras.optimizers.Adam(), tf.keras.optimizers.SGD()
    assert update_rule(adam) != adam.apply_gradients
    assert update_rule(tf.keras.optimizers.Adam(amsgrad=True)).__name__ == "apply_gradients"
    assert update_rule(sgd) == sgd.apply_gradients
