"""tfjs bridge: train TensorFlow models with GradientTape loops, export them to tf.js, prove tf.js agrees.

Installed, every stage lives in this one namespace (tfjs_bridge.train, .export, .verify, .web, .bench), mapped
from the checkout's top-level folders by pyproject.toml. Run from a checkout without installing, the same names
resolve to those folders: the checkout root is added to this package's search path below.

This package itself holds only the command dispatcher (cli.py), the version and common/ (what every stage
shares). `tfjs_bridge.verify(model, inputs)` is the verify stage, callable (see verify/__init__.py).
"""

from pathlib import Path

from tfjs_bridge.common.version import __version__

__all__ = ["__version__", "verify"]

_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "train" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821  (a package's __path__ is set by the import system)


def __getattr__(name):
    """`tfjs_bridge.verify` on first use: the verify stage (callable), imported only when asked for."""
    if name == "verify":
        import importlib

        return importlib.import_module("tfjs_bridge.verify")
    raise AttributeError(f"module 'tfjs_bridge' has no attribute {name!r}")
