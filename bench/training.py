"""Training throughput of the MLP under each way of running a tape loop, against Keras fit and the compute limit."""

import statistics
import time

import numpy as np

from tfjs_bridge.bench.stats import interleave, ratio, spread
from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config
from tfjs_bridge.train.data import as_dataset
from tfjs_bridge.train.tasks import MLP

HIDDEN, CLASSES, PIXELS = 100, 10, 784
# Multiply-adds of one example: forward 784x100 + 100x10; backward computes two matmul products per layer
# (input gradients and weight gradients), so training is ~3x the forward FLOPs (ignoring element-wise ops).
FORWARD_FLOPS = 2 * (PIXELS * HIDDEN + HIDDEN * CLASSES)
TRAIN_FLOPS = 3 * FORWARD_FLOPS


def matmul_gflops(n: int = 1024, repeats: int = 20, k: int | None = None, m: int | None = None) -> float:
    """Measured float32 rate of an (n x k) @ (k x m) matmul through TensorFlow; square 1024 = the compute limit."""
    k, m = k or n, m or n
    a = tf.random.stateless_uniform((n, k), seed=(1, 2))
    b = tf.random.stateless_uniform((k, m), seed=(3, 4))
    c = tf.random.stateless_uniform((m, k), seed=(5, 6))

    @tf.function
    def chain(x):
        for _ in range(repeats):
            # (n,k)@(k,m) then back to (n,k), scaled to stay finite; the scale is negligible work.
            x = tf.matmul(tf.matmul(x, b), c) * 1e-3
        return x

    chain(a).numpy()  # trace and warm up
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        chain(a).numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * 2 * n * k * m * repeats / best / 1e9


def fresh(seed: int = 0):
    """A new MLP with its Adam optimizer, built, from a fixed seed."""
    tf.keras.utils.set_random_seed(seed)
    model = MLP.build()
    model(tf.zeros([1, 28, 28]))
    optimizer = MLP.optimizer(config.DEFAULTS["mlp"].learning_rate)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def step_body(model, optimizer):
    """One tape step: forward, loss, gradients, Adam update (the body every variant shares)."""

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(MLP.per_example_loss(y, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def project_runner(model, optimizer, x, y, batch: int, epochs: int):
    """The loop `python -m train` runs: train.steps' trainer and its one pipeline over all epochs (one replica)."""
    from tfjs_bridge.train.data import epochs_dataset
    from tfjs_bridge.train.steps import make_train_steps

    strategy = tf.distribute.get_strategy()
    train_steps = make_train_steps(strategy, model, optimizer, MLP.per_example_loss, tf.keras.metrics.Mean())
    batches = iter(epochs_dataset(x, y, batch, 0, range(1, epochs + 1)))
    steps = -(-len(x) // batch)

    def epoch(_ds):
        done = 0
        while done < steps:
            done += int(train_steps(batches, tf.constant(min(config.STEPS_PER_CALL, steps - done), tf.int64)))

    return epoch


def epoch_runner(variant: str, model, optimizer):
    """A function that trains one epoch over a dataset, for the named way of running the step."""
    step = step_body(model, optimizer)
    if variant == "tf.function":
        compiled = tf.function(step)
    elif variant == "in-graph epoch":

        @tf.function
        def whole_epoch(ds):
            # AutoGraph turns this loop over a dataset into a tf.while_loop: no Python per step.
            for x, y in ds:
                step(x, y)

        return whole_epoch
    else:
        raise ValueError(variant)

    def python_epoch(ds):
        for x, y in ds:
            compiled(x, y)

    return python_epoch


def fit_runner(model, batch_size: int):
    """Keras model.fit for one epoch on the same model, loss, optimizer and batch size (the reference)."""
    model.compile(optimizer=MLP.optimizer(config.DEFAULTS["mlp"].learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=[])

    def epoch(ds):
        model.fit(ds, epochs=1, verbose=0, shuffle=False)  # ds is already shuffled per epoch

    return epoch


def timed_epoch(run_epoch, ds, examples: int):
    """A function that trains one epoch and returns its examples/s."""

    def once() -> float:
        started = time.perf_counter()
        run_epoch(ds)
        return examples / (time.perf_counter() - started)

    return once


PROJECT = f"project loop ({config.STEPS_PER_CALL} steps/call)"
VARIANTS = ["tf.function", "in-graph epoch", PROJECT, "Keras fit"]
# The project loop (and fit, for the ratio) also runs at a third, larger batch: the step-cost line needs 3 points.
FIT_ONLY = [PROJECT, "Keras fit"]


def bench_training(x: np.ndarray, y: np.ndarray, batch_sizes: list[int], rounds: int, limit_size: int = 1024) -> tuple[dict, list[dict]]:
    """Every variant at every batch size, one epoch each per round, interleaved; as fractions of the compute limit."""
    limit = matmul_gflops(limit_size)
    # The same rate at the MLP's own first-layer shape: what its matmuls can reach at each batch size.
    at_shape = {b: matmul_gflops(b, 200 if limit_size >= 1024 else 20, PIXELS, HIDDEN) for b in batch_sizes}
    sides, first = {}, {}
    for i, batch in enumerate(batch_sizes):
        ds = as_dataset(x, y, batch, shuffle_seed=0).cache()
        for variant in VARIANTS if i < 2 else FIT_ONLY:
            model, optimizer = fresh()
            if variant == PROJECT:
                run = project_runner(model, optimizer, x, y, batch, rounds + 1)
            elif variant == "Keras fit":
                run = fit_runner(model, batch)
            else:
                run = epoch_runner(variant, model, optimizer)
            sides[variant, batch] = timed_epoch(run, ds, len(x))
            started = time.perf_counter()
            sides[variant, batch]()  # tracing / compiling, timed apart
            first[variant, batch] = time.perf_counter() - started
    samples = interleave(sides, rounds)
    rows = []
    for (variant, batch), rates in samples.items():
        gflops = statistics.median(rates) * TRAIN_FLOPS / 1e9
        row = {"variant": variant, "batch_size": batch, "examples_per_sec": spread(rates), "rounds": rates,
               "first_epoch_s": first[variant, batch], "gflops": gflops, "fraction_of_limit": gflops / limit}
        if ("Keras fit", batch) in samples:
            vs = ratio(rates, samples["Keras fit", batch])
            row.update(vs_fit=vs["median"], vs_fit_rounds=vs)
        rows.append(row)
    return {"limit_gflops": limit, "matmul_gflops_at_batch": at_shape, "train_flops_per_example": TRAIN_FLOPS}, rows
