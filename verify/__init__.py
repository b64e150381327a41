"""The verify stage: prove that tf.js predicts what TensorFlow predicts for a model folder.

Python side: `cli` (`tfjs-bridge verify`, `setup-node`), `api` (`tfjs_bridge.verify(model, inputs)`),
`explain` (where tf.js departs), `node` (finding and running Node). Node side: `verify.js` (the
`tfjs-bridge-verify` bin), `node/` (harness, disk loader, worker pool, explain's tf.js half) and `js/`
(loader, schema check, parity rules, table), which the page imports too.

`tfjs_bridge.verify` is this package and also the public function: calling the module runs `api.verify`.
"""

import sys
import types
from pathlib import Path

JS_DIR = Path(__file__).resolve().parent / "js"  # what the page imports (served at /verify/)


class _CallableModule(types.ModuleType):
    """A module that can be called: `tfjs_bridge.verify(model, inputs)` stays the one-line API."""

    def __call__(self, model, inputs=None, **options):
        """Export a model (or model file/folder) to a temporary folder and check tf.js against TensorFlow in Node.

        See tfjs_bridge.verify.api.verify for the options and the report it returns; raises ParityError on failure.
        """
        from tfjs_bridge.verify.api import verify

        return verify(model, inputs, **options)


sys.modules[__name__].__class__ = _CallableModule
