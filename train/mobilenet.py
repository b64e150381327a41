"""MobileNetV2 on tensorflow_datasets cats_vs_dogs, compiled and fitted with Keras inside a strategy's scope."""

import time
from pathlib import Path

import numpy as np

from tfjs_bridge.common.paths import ARTIFACTS, TFDS_DATA_DIR
from tfjs_bridge.common.quiet import tf
from tfjs_bridge.train import config, devices
from tfjs_bridge.train.config import TrainConfig
from tfjs_bridge.train.data import DataError, require_tfds
from tfjs_bridge.train.loop import TrainingError
from tfjs_bridge.train.run import run_record, save_run
from tfjs_bridge.train.tasks import mobilenet_task

SHUFFLE_BUFFER = 1000


def load_cats_vs_dogs(image_size: int, data_dir: Path = TFDS_DATA_DIR):
    """Train and test pipelines of (resized image in 0..1, label), and a description with the split sizes."""
    import tensorflow_datasets as tfds

    require_tfds("cats_vs_dogs", data_dir)
    try:
        (train, test), info = tfds.load("cats_vs_dogs", split=list(config.MOBILENET_SPLITS), as_supervised=True,
                                        data_dir=str(data_dir), with_info=True)
    except Exception as err:  # tfds raises many types (network, missing files, checksum)
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"tensorflow_datasets cats_vs_dogs unavailable in {data_dir}: {first_line}") from None

    def prepare(image, label):
        return tf.image.resize(tf.cast(image, tf.float32), (image_size, image_size)) / 255.0, label

    sizes = [split_size(info, name, ds) for name, ds in zip(config.MOBILENET_SPLITS, (train, test))]
    data = {
        "dataset": f"tensorflow_datasets cats_vs_dogs, {sizes[0]}/{sizes[1]} ({' / '.join(config.MOBILENET_SPLITS)})",
        "train_examples": sizes[0],
        "test_examples": sizes[1],
        "input_shape": [image_size, image_size, 3],
    }
    return train.map(prepare, num_parallel_calls=tf.data.AUTOTUNE), test.map(prepare), data


def shard_by_data(ds):
    """Split batches between workers by element: tfds files cannot be sharded by file here (one file, or fewer than workers)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def split_size(info, name: str, ds) -> int:
    """Examples in a split: from the dataset's metadata, or counted when the metadata has none (e.g. mock data)."""
    try:
        return info.splits[name].num_examples
    except KeyError:
        return int(ds.reduce(0, lambda count, _: count + 1))


class EpochThroughput(tf.keras.callbacks.Callback):
    """Training examples per second of each epoch, timed from its first batch to the start of validation."""

    def __init__(self, examples: int):
        super().__init__()
        self.examples, self.rates, self.started = examples, [], None

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_test_begin(self, logs=None):
        if self.started is not None:  # validation inside fit, not a separate evaluate()
            self.rates.append(round(self.examples / (time.perf_counter() - self.started), 1))
            self.started = None


def epoch_records(keras_history: dict, rates: list[float]) -> list[dict]:
    """Keras History → the per-epoch records the tape loops write (test_* = validation on the held-out split)."""
    names = {"loss": "loss", "accuracy": "accuracy", "val_loss": "test_loss", "val_accuracy": "test_accuracy"}
    records = []
    for i, rate in enumerate(rates):
        record = {"epoch": i + 1, **{ours: float(keras_history[k][i]) for k, ours in names.items()}}
        record["examples_per_sec"] = rate
        records.append(record)
    return records


def train_and_save_mobilenet(cfg: TrainConfig, progress: bool = True, log_epochs: bool = False) -> dict:
    """Fit MobileNetV2 under cfg.strategy on cats_vs_dogs and write artifacts/mobilenet (or cfg.out); return the record."""
    strategy = devices.make_strategy(cfg.strategy)  # first: multi-worker set-up must precede other TF work
    task = mobilenet_task(cfg.image_size)
    train, test, data = load_cats_vs_dogs(cfg.image_size)
    tf.keras.utils.set_random_seed(cfg.seed)
    with strategy.scope():
        model = task.build()
        model.compile(optimizer=task.optimizer(cfg.learning_rate),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    out = Path(cfg.out) if cfg.out else ARTIFACTS / task.name
    chief = devices.is_chief(strategy)
    timer = EpochThroughput(data["train_examples"])
    callbacks = [timer]
    if chief:
        logs = config.run_dir_for(cfg, out) / "logs"
        callbacks.append(tf.keras.callbacks.TensorBoard(log_dir=str(logs), write_graph=False, profile_batch=0))
    started = time.perf_counter()
    fitted = model.fit(
        shard_by_data(train.shuffle(SHUFFLE_BUFFER, seed=cfg.seed).batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)),
        validation_data=shard_by_data(test.batch(cfg.batch_size)), epochs=cfg.epochs, callbacks=callbacks,
        shuffle=False,  # the pipeline shuffles; Keras cannot shuffle a tf.data.Dataset and warns if asked
        verbose=1 if progress else (2 if log_epochs else 0),
    )
    history = epoch_records(fitted.history, timer.rates)
    if not np.isfinite(history[-1]["loss"]):
        raise TrainingError(f"loss became {history[-1]['loss']}; lower --learning-rate (now {cfg.learning_rate:g})")
    record = run_record(task, cfg, history, time.perf_counter() - started, out, data, strategy)
    golden = list(test.take(config.MOBILENET_GOLDEN_COUNT).as_numpy_iterator())
    save_run(model, record, np.stack([x for x, _ in golden]), np.array([y for _, y in golden]), out, chief)
    return record
