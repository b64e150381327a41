"""Fixtures of the web tests."""

import pytest

from tfjs_bridge.web import create_app


@pytest.fixture(scope="module")
def app(exported, artifacts):
    """The app serving the quick-trained exports, with their artifacts as Python counterparts."""
    return create_app({"TESTING": True, "MODELS_DIR": exported, "ARTIFACTS_DIR": artifacts})
