"""Data loading: offline MNIST split, tfds path on mocked data, linear example and CSV validation."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfjs_bridge.train import config
from tfjs_bridge.train.data import (
    DataError,
    as_dataset,
    load_linear,
    load_offline_mnist,
    load_tfds_mnist,
    read_csv,
)


def test_offline_split_sizes_and_ranges(offline_split):
    s = offline_split
    assert s.x_train.shape == (8000, 28, 28) and s.x_test.shape == (2000, 28, 28)
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int64
    assert 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    # Real digits: every class present in both halves, in roughly MNIST's proportions.
    for y in (s.y_train, s.y_test):
        counts = np.bincount(y, minlength=10)
        assert counts.min() > 0.07 * len(y) and counts.max() < 0.13 * len(y)


def test_offline_split_is_fixed_and_disjoint(offline_split):
    again = load_offline_mnist()
    np.testing.assert_array_equal(again.y_test, offline_split.y_test)
    train_rows = {r.tobytes() for r in offline_split.x_train}
    assert sum(r.tobytes() in train_rows for r in offline_split.x_test) < 10  # MNIST has a few duplicate digits


def test_offline_missing_points_to_setup_node(tmp_path):
    with pytest.raises(DataError, match=r"offline MNIST not found at .*: run `tfjs-bridge setup-node`"):
        load_offline_mnist(tmp_path)


def test_offline_rejects_a_broken_digits_file(tmp_path):
    for d in range(10):
        (tmp_path / f"{d}.json").write_text('{"data": [0.5, 0.5, 0.5]}')
    with pytest.raises(DataError, match="not a whole number of 28x28"):
        load_offline_mnist(tmp_path)


def test_tfds_path_on_mock_data(tmp_path):
    with tfds.testing.mock_data(num_examples=24):
        s = load_tfds_mnist(data_dir=tmp_path)
    assert s.x_train.shape == (24, 28, 28) and s.x_test.shape == (24, 28, 28)
    assert s.x_train.dtype == np.float32 and 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    assert set(np.unique(s.y_train)) <= set(range(10))


def test_tfds_without_data_or_network_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="tensorflow_datasets mnist is not in .*: prepare it on a connected machine"):
        load_tfds_mnist(data_dir=tmp_path, download=False)


def test_linear_example_is_the_seed_notes():
    s = load_linear()
    np.testing.assert_array_equal(s.x_train, config.LINEAR_X)
    np.testing.assert_array_equal(s.y_train, config.LINEAR_Y)


def test_csv_with_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,2,3\n4,5,9\n")
    x, y = read_csv(path)
    np.testing.assert_array_equal(x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(y, [[3], [9]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no data rows"),
        ("y\n1\n2\n", "at least one feature column"),
        ("1,2\n3,oops\n", "row 2 is not all numbers"),
        ("1,2\n3,4,5\n", "different numbers of columns"),
        ("1,nan\n", "NaN or infinite"),
    ],
)
def test_csv_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_csv(path)


def test_dataset_batches_cover_every_example_once():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    seen = np.concatenate([bx.numpy() for bx, _ in as_dataset(x, x, 4, shuffle_seed=3)])
    assert sorted(seen.ravel().tolist()) == list(range(10))


def test_epoch_order_is_fixed_by_seed_and_epoch():
    from tfjs_bridge.train.data import epoch_order

    first = epoch_order(100, seed=0, epoch=1)
    assert sorted(first) == list(range(100))  # a permutation: every example once
    np.testing.assert_array_equal(first, epoch_order(100, seed=0, epoch=1))  # what a resumed run replays
    assert not np.array_equal(first, epoch_order(100, seed=0, epoch=2))
    assert not np.array_equal(first, epoch_order(100, seed=1, epoch=1))
