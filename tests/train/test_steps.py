"""The compiled steps on tiny data: n steps per call up to the data's end, evaluation against NumPy, resumable batches."""

import numpy as np

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config
from tfjs_bridge.train.data import Split
from tfjs_bridge.train.steps import evaluate, make_test_step, make_train_steps, training_batches
from tfjs_bridge.train.tasks import LINEAR

RNG = np.random.default_rng(0)
SPLIT = Split(RNG.normal(size=(10, 3)).astype("float32"), RNG.normal(size=(10, 1)).astype("float32"),
              RNG.normal(size=(7, 3)).astype("float32"), RNG.normal(size=(7, 1)).astype("float32"), "random")
CFG = config.TrainConfig(epochs=2, batch_size=4, learning_rate=0.01)  # 3 batches an epoch: 4, 4, 2


def built_linear():
    model = LINEAR.build()
    model(tf.zeros([1, 3]))
    return model


def test_a_call_runs_n_steps_and_stops_where_the_batches_end():
    model = built_linear()
    optimizer = LINEAR.optimizer(CFG.learning_rate)
    optimizer.build(model.trainable_variables)
    loss = tf.keras.metrics.Mean()
    train_steps = make_train_steps(tf.distribute.get_strategy(), model, optimizer, LINEAR.per_example_loss, loss)
    batches = next(training_batches(tf.distribute.get_strategy(), SPLIT, CFG, first=1, skip=1))
    assert int(train_steps(batches, tf.constant(1, tf.int64))) == 1
    # One pipeline over both epochs on one replica: 2 batches left of the first (it resumed at batch 1), 3 of the second.
    assert int(train_steps(batches, tf.constant(10, tf.int64))) == 4
    assert int(optimizer.iterations) == 5 and np.isfinite(float(loss.result()))


def test_evaluation_is_the_numpy_mean_squared_error():
    model = built_linear()
    model.set_weights([np.array([[0.5], [-1.0], [2.0]], "float32"), np.array([0.25], "float32")])
    test_loss, metric = tf.keras.metrics.Mean(), LINEAR.metric()
    test_step = make_test_step(tf.distribute.get_strategy(), model, LINEAR.per_example_loss, test_loss, metric)
    batches = list(tf.data.Dataset.from_tensor_slices((SPLIT.x_test, SPLIT.y_test)).batch(3))
    got = evaluate(test_step, batches, test_loss, metric)
    pred = SPLIT.x_test.astype(np.float64) @ model.get_weights()[0] + model.get_weights()[1]
    expected = np.mean((pred - SPLIT.y_test) ** 2)
    assert set(got) == {"test_loss"}  # regression: no accuracy
    # float32 sums of 7 squared errors vs float64: measured relative difference ~1e-7.
    np.testing.assert_allclose(got["test_loss"], expected, rtol=1e-5)
    assert evaluate(test_step, batches, test_loss, metric) == got  # reset between runs, not accumulated
