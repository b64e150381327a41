"""Fixtures of the training tests."""

import pytest


@pytest.fixture(scope="session")
def offline_split():
    """The real offline MNIST split, loaded once."""
    from tfjs_bridge.train.data import load_offline_mnist

    return load_offline_mnist()
