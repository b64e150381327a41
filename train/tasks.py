"""What differs between the linear and the MLP run: model, loss, metric, optimizer, data, I/O spec."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config, data
from tfjs_bridge.train.models import MyLinear, MyMLP


@dataclass(frozen=True)
class Task:
    """One trainable model and everything the loop and the exporter need to know about it."""

    name: str
    kind: str  # "regression" or "classification"
    build: Callable[[], tf.keras.Model]
    per_example_loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
    optimizer: Callable[[float], tf.keras.optimizers.Optimizer]
    input_name: str
    preprocessing: str
    labels: tuple[str, ...] | None = None

    def metric(self) -> tf.keras.metrics.Metric | None:
        """A fresh test metric: accuracy for classifiers, none for regression."""
        if self.kind == "classification":
            return tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        return None


def _squared_error(y, pred):
    return tf.reduce_mean(tf.square(tf.cast(y, pred.dtype) - pred), axis=-1)


LINEAR = Task(
    name="linear",
    kind="regression",
    build=MyLinear,
    per_example_loss=_squared_error,
    optimizer=lambda lr: tf.keras.optimizers.SGD(learning_rate=lr),
    input_name="x",
    preprocessing="none: raw feature values, one row per example",
)

MLP = Task(
    name="mlp",
    kind="classification",
    build=MyMLP,
    per_example_loss=tf.keras.losses.sparse_categorical_crossentropy,
    optimizer=lambda lr: tf.keras.optimizers.Adam(learning_rate=lr),
    input_name="image",
    preprocessing="28x28 grayscale, white digit on black, centred by centre of mass, pixel/255 in 0..1",
    labels=tuple(str(d) for d in range(10)),
)

TASKS = {task.name: task for task in (LINEAR, MLP)}


def mobilenet_task(image_size: int) -> Task:
    """MobileNetV2 from scratch (weights=None) classifying image_size² RGB images as cat or dog."""
    return Task(
        name="mobilenet",
        kind="classification",
        build=lambda: tf.keras.applications.MobileNetV2(input_shape=(image_size, image_size, 3), weights=None, classes=2),
        per_example_loss=tf.keras.losses.sparse_categorical_crossentropy,
        optimizer=lambda lr: tf.keras.optimizers.Adam(learning_rate=lr),
        input_name="image",
        preprocessing=f"RGB resized to {image_size}x{image_size} (bilinear), pixel/255 in 0..1",
        labels=("cat", "dog"),
    )


def load_data(task: Task, dataset: str, csv: Path | None = None) -> data.Split:
    """The task's data: MNIST for the MLP, the example or a CSV for the linear model."""
    if task is MLP:
        return data.load_mnist(dataset)
    return data.load_linear(csv)


def golden_inputs(task: Task, split: data.Split, seed: int = config.SPLIT_SEED) -> tuple[np.ndarray, np.ndarray | None]:
    """Inputs (and labels) whose outputs every harness must reproduce: test digits, or points around the data."""
    if task.kind == "classification":
        n = config.MNIST_GOLDEN_COUNT
        return split.x_test[:n], split.y_test[:n]
    # The training rows plus points spread over (and a little beyond) the data's range.
    rng = np.random.default_rng(seed)
    lo, hi = split.x_train.min(axis=0), split.x_train.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    extra = rng.uniform(lo - 0.5 * span, hi + 0.5 * span, size=(8, split.x_train.shape[1]))
    rows = np.concatenate([split.x_train[:56], extra.astype(np.float32)])
    return rows, None
