"""Training throughput of the MLP under each way of running a tape loop, against Keras fit and the compute limit."""

import statistics
import time

import numpy as np

from tfjs_bridge.bench.stats import spread
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


def project_runner(model, optimizer):
    """The loop `python -m train` runs: train.loop's many-steps-per-call trainer under the default strategy."""
    from tfjs_bridge.train.loop import make_train_steps

    strategy = tf.distribute.get_strategy()
    train_steps = make_train_steps(strategy, model, optimizer, MLP.per_example_loss, tf.keras.metrics.Mean())
    n = tf.constant(config.STEPS_PER_CALL, tf.int64)

    def epoch(ds):
        batches = iter(strategy.experimental_distribute_dataset(ds))
        while int(train_steps(batches, n)) == config.STEPS_PER_CALL:
            pass

    return epoch


def epoch_runner(variant: str, model, optimizer):
    """A function that trains one epoch over a dataset, for the named way of running the step."""
    if variant == PROJECT:
        return project_runner(model, optimizer)
    step = step_body(model, optimizer)
    if variant == "eager":
        compiled = step
    elif variant == "tf.function":
        compiled = tf.function(step)
    elif variant == "tf.function+XLA":
        compiled = tf.function(step, jit_compile=True)
    elif variant in ("in-graph epoch", "in-graph epoch+XLA"):
        inner = tf.function(step, jit_compile=True) if variant.endswith("XLA") else step

        @tf.function
        def whole_epoch(ds):
            # AutoGraph turns this loop over a dataset into a tf.while_loop: no Python per step.
            for x, y in ds:
                inner(x, y)

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


def measure(run_epoch, ds, examples: int, repeats: int) -> dict:
    """First epoch (tracing/compiling included) timed apart; then examples/s over `repeats` epochs."""
    started = time.perf_counter()
    run_epoch(ds)
    first = time.perf_counter() - started
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        run_epoch(ds)
        rates.append(examples / (time.perf_counter() - started))
    steady = examples / statistics.median(rates)
    return {
        "examples_per_sec": spread(rates),
        "first_epoch_s": first,
        "compile_s": max(0.0, first - steady),
    }


PROJECT = f"project loop ({config.STEPS_PER_CALL} steps/call)"
VARIANTS = ["eager", "tf.function", "tf.function+XLA", "in-graph epoch", "in-graph epoch+XLA", PROJECT, "Keras fit"]


def bench_training(x: np.ndarray, y: np.ndarray, batch_sizes: list[int], repeats: int, variants=VARIANTS,
                   limit_repeats: int = 20) -> list[dict]:
    """Every variant at every batch size, with each result as a fraction of the measured compute limit."""
    limit = matmul_gflops(repeats=limit_repeats)
    # The same rate at the MLP's own first-layer shape: what its matmuls can reach at each batch size.
    at_shape = {b: matmul_gflops(b, 200, PIXELS, HIDDEN) for b in batch_sizes}
    rows = []
    for batch in batch_sizes:
        ds = as_dataset(x, y, batch, shuffle_seed=0).cache()
        for variant in variants:
            model, optimizer = fresh()
            run = fit_runner(model, batch) if variant == "Keras fit" else epoch_runner(variant, model, optimizer)
            # Eager is ~50x slower: one timed epoch is enough to place it.
            result = measure(run, ds, len(x), 1 if variant == "eager" else repeats)
            gflops = result["examples_per_sec"]["median"] * TRAIN_FLOPS / 1e9
            rows.append({"variant": variant, "batch_size": batch, **result, "gflops": gflops,
                         "fraction_of_limit": gflops / limit})
    fit_rate = {r["batch_size"]: r["examples_per_sec"]["median"] for r in rows if r["variant"] == "Keras fit"}
    for r in rows:
        if r["batch_size"] in fit_rate:
            r["vs_fit"] = r["examples_per_sec"]["median"] / fit_rate[r["batch_size"]]
    return [{"limit_gflops": limit, "matmul_gflops_at_batch": at_shape, "train_flops_per_example": TRAIN_FLOPS}, rows]
