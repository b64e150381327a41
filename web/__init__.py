"""Web stage: the Flask app serving the demo page, the tf.js models and a JSON prediction API."""

from pathlib import Path

from flask import Flask

from tfjs_bridge.common import paths
from tfjs_bridge.web import budget


def create_app(config: dict | None = None) -> Flask:
    """Application factory: defaults below, overridden by `config` (tests pass temp folders here)."""
    app = Flask(__name__)
    # A name holding an encoded '/' (%2F) decodes to '//': Werkzeug would answer that with a 308 redirect page instead
    # of the API's JSON 404 (found by tests/web/test_api_fuzz.py). No route has an empty segment, so nothing else changes.
    app.url_map.merge_slashes = False
    app.config.from_mapping(
        MODELS_DIR=paths.MODELS.resolve(),
        ARTIFACTS_DIR=paths.ARTIFACTS.resolve(),
        NODE_MODULES=paths.node_modules(),
        # A 64-digit batch as JSON is ~0.4 MB; anything far larger is not a prediction request.
        MAX_CONTENT_LENGTH=1024 * 1024,
        MAX_BATCH=64,
        PREDICT_BUDGET=budget.Budget(),  # per-model slots and seconds for Python predictions (web/budget.py)
    )
    if config:
        app.config.from_mapping(config)
    for key in ("MODELS_DIR", "ARTIFACTS_DIR", "NODE_MODULES"):
        app.config[key] = Path(app.config[key])

    from tfjs_bridge.web import api, store, views

    store.init_app(app)
    budget.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    return app
