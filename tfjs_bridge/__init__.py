"""tfjs bridge: train TensorFlow models with GradientTape loops, export them to tf.js, prove tf.js agrees.

Installed, every stage lives in this one namespace (tfjs_bridge.train, .export, .web, .bench), mapped from
the checkout's top-level folders by pyproject.toml. Run from a checkout without installing, the same names
resolve to those folders: the checkout root is added to this package's search path below.
"""

from pathlib import Path

__version__ = "0.2.0"

_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "train" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821  (a package's __path__ is set by the import system)


def verify(model, inputs=None, **options):
    """Export a model (or model file/folder) to a temporary folder and check tf.js against TensorFlow in Node.

    See tfjs_bridge.api.verify for the options and the report it returns; raises ParityError on failure.
    """
    from tfjs_bridge.api import verify as run

    return run(model, inputs, **options)
