"""Shared fixtures: the offline MNIST split, quick-trained artifacts, and their tf.js exports."""

import dataclasses

import pytest

import train  # noqa: F401  (configures TensorFlow's logging before anything imports it)
from train import config


@pytest.fixture(scope="session")
def offline_split():
    """The real offline MNIST split, loaded once."""
    from train.data import load_offline_mnist

    return load_offline_mnist()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    """linear (defaults) and mlp (2 epochs: enough to be a real classifier) trained into a temp folder."""
    from train.run import train_and_save

    root = tmp_path_factory.mktemp("artifacts")
    runs = {
        "linear": dataclasses.replace(config.DEFAULTS["linear"], out=root / "linear"),
        "mlp": dataclasses.replace(config.DEFAULTS["mlp"], epochs=2, out=root / "mlp"),
    }
    for name, cfg in runs.items():
        train_and_save(name, cfg, progress=False)
    return root


@pytest.fixture(scope="session")
def exported(artifacts, tmp_path_factory):
    """The quick-trained artifacts exported as tf.js graph models; returns the models folder."""
    from export.convert import export_artifact

    out = tmp_path_factory.mktemp("web_models")
    for name in ("linear", "mlp"):
        export_artifact(artifacts / name, out)
    return out
