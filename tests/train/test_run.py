"""Training runs end to end: artifacts on disk, the SavedModel reproduces the model, default accuracy."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from tfjs_bridge.train import config
from tfjs_bridge.train.run import train_and_save


def test_artifact_folder_contents(artifacts):
    mlp = artifacts / "mlp"
    assert (mlp / "saved_model" / "saved_model.pb").is_file()
    run = json.loads((mlp / "run.json").read_text())
    assert run["input"] == {"name": "image", "shape": [None, 28, 28], "dtype": "float32"}
    assert run["labels"] == [str(d) for d in range(10)]
    assert len(run["history"]) == 2 and 0.0 < run["final"]["test_accuracy"] <= 1.0
    assert np.load(mlp / "golden_inputs.npy").shape == (config.MNIST_GOLDEN_COUNT, 28, 28)
    # The test split rides along, so the exporter can score quantized weights without the training code.
    with np.load(mlp / "test_set.npz") as test_set:
        assert test_set["x"].shape == (config.MNIST_TEST_SIZE, 28, 28) and test_set["y"].shape == (config.MNIST_TEST_SIZE,)
    linear = json.loads((artifacts / "linear" / "run.json").read_text())
    assert linear["training_data"]["x"] == config.LINEAR_X
    assert not (artifacts / "linear" / "test_set.npz").exists()  # a regression has no accuracy to score
    assert not list(artifacts.glob(".*tmp-*")), "no temp folders left behind"


def test_saved_model_serving_signature_reproduces_training_outputs(artifacts, offline_split):
    fn = tf.saved_model.load(str(artifacts / "mlp" / "saved_model")).signatures["serving_default"]
    golden = np.load(artifacts / "mlp" / "golden_inputs.npy")
    np.testing.assert_array_equal(golden, offline_split.x_test[: len(golden)])
    probs = fn(image=tf.constant(golden))["output"].numpy()
    labels = np.load(artifacts / "mlp" / "golden_labels.npy")
    assert probs.shape == (len(golden), 10)
    assert (probs.argmax(1) == labels).mean() > 0.8


@pytest.mark.slow
def test_default_mlp_reaches_the_readme_accuracy(tmp_path):
    """The README promises >= 0.93 test accuracy with default settings on the offline split."""
    record = train_and_save("mlp", dataclasses.replace(config.DEFAULTS["mlp"], out=tmp_path / "mlp"), progress=False)
    assert record["final"]["test_accuracy"] >= 0.93, record["history"]


def test_failed_run_keeps_the_previous_artifact(artifacts, tmp_path):
    from tfjs_bridge.train.data import DataError

    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("1,2\n3,x\n")
    before = (artifacts / "linear" / "run.json").read_text()
    with pytest.raises(DataError):
        train_and_save("linear", dataclasses.replace(config.DEFAULTS["linear"], out=artifacts / "linear"), csv=bad_csv)
    assert (artifacts / "linear" / "run.json").read_text() == before
