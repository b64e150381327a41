"""The GradientTape training loop shared by every model."""

import math
import time

import tensorflow as tf
from tqdm.auto import tqdm

from train.config import TrainConfig
from train.data import Split, as_dataset
from train.tasks import Task

EVAL_BATCH = 500


class TrainingError(RuntimeError):
    """Training could not produce a usable model; the message is shown to the user as one line."""


def make_train_step(model, optimizer, per_example_loss, train_loss):
    """Build the compiled step: forward under a tape, gradients, one optimizer update."""

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = tf.nn.compute_average_loss(per_example_loss(y, pred))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)

    return train_step


def make_test_step(model, per_example_loss, test_loss, metric):
    """Build the compiled evaluation step: loss and (for classifiers) the metric on one batch."""

    @tf.function(reduce_retracing=True)
    def test_step(x, y):
        pred = model(x, training=False)
        test_loss.update_state(per_example_loss(y, pred))
        if metric is not None:
            metric.update_state(y, pred)

    return test_step


def evaluate(test_step, test_ds, test_loss, metric) -> dict:
    """Run every test batch once and return the mean loss (and accuracy)."""
    test_loss.reset_state()
    if metric is not None:
        metric.reset_state()
    for x, y in test_ds:
        test_step(x, y)
    result = {"test_loss": float(test_loss.result())}
    if metric is not None:
        result["test_accuracy"] = float(metric.result())
    return result


def fit(task: Task, model, split: Split, cfg: TrainConfig, progress: bool = True, log_epochs: bool = False) -> list[dict]:
    """Train for cfg.epochs over split's training set; return one record per epoch.

    progress draws tqdm bars (for terminals); log_epochs prints one plain line per epoch (for logs).
    """
    optimizer = task.optimizer(cfg.learning_rate)
    train_loss = tf.keras.metrics.Mean(name="loss")
    test_loss = tf.keras.metrics.Mean(name="test_loss")
    metric = task.metric()
    train_step = make_train_step(model, optimizer, task.per_example_loss, train_loss)
    test_step = make_test_step(model, task.per_example_loss, test_loss, metric)
    train_ds = as_dataset(split.x_train, split.y_train, cfg.batch_size, shuffle_seed=cfg.seed)
    test_ds = as_dataset(split.x_test, split.y_test, EVAL_BATCH)
    steps = math.ceil(len(split.x_train) / cfg.batch_size)

    # One bar per epoch when epochs have many steps; one bar over all epochs when each is a single step.
    per_epoch_bars = steps > 1
    overall = tqdm(total=cfg.epochs, desc=task.name, unit="epoch", disable=not progress or per_epoch_bars)
    history = []
    for epoch in range(1, cfg.epochs + 1):
        started = time.perf_counter()
        train_loss.reset_state()
        with tqdm(
            total=steps, desc=f"{task.name} epoch {epoch}/{cfg.epochs}", unit="batch",
            disable=not progress or not per_epoch_bars,
        ) as bar:
            for x, y in train_ds:
                train_step(x, y)
                bar.update()
            record = {"epoch": epoch, "loss": float(train_loss.result())}
            if not math.isfinite(record["loss"]):
                raise TrainingError(
                    f"loss became {record['loss']} in epoch {epoch}; lower --learning-rate "
                    f"(now {cfg.learning_rate:g}) or scale the data"
                )
            record.update(evaluate(test_step, test_ds, test_loss, metric))
            record["seconds"] = round(time.perf_counter() - started, 3)
            figures = {k: round(v, 4) for k, v in record.items() if k.startswith(("loss", "test"))}
            bar.set_postfix(figures, refresh=False)
        if log_epochs and per_epoch_bars:
            print(f"{task.name} epoch {epoch}/{cfg.epochs}  " + "  ".join(f"{k} {v}" for k, v in figures.items())
                  + f"  ({record['seconds']:.1f} s)", flush=True)
        overall.set_postfix(loss=f"{record['loss']:.4g}", refresh=False)
        overall.update()
        history.append(record)
    overall.close()
    return history
