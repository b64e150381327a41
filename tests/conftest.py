"""Session-wide fixtures every stage uses: quick-trained artifacts, their tf.js exports, Keras modules, the CLI in process.

Stage folders' conftests hold their own fixtures (tests/train/: the MNIST split; tests/web/: the app; tests/e2e/:
the Node parity run); factories shared by several tests live in tests/support/.
"""

import dataclasses
import threading
from typing import NamedTuple

import pytest

import tfjs_bridge.cli
from tfjs_bridge.common.quiet import quiet_tensorflow
from tfjs_bridge.train import config

quiet_tensorflow()  # before the tests import TensorFlow: its start-up logs stay quiet


def pytest_collection_finish(session):
    """Run the selected modules' `early_commands(folder)` one after another in a lane beside the tests.

    Such commands (a minute of MobileNetV2 training, runs that need their own logical devices) then use the
    second core while the tests use the first, instead of running after them; a test reads its command's
    outcome with `module.early[name].result(timeout)`, which starts the command at once if the lane is behind.
    """
    if session.config.option.collectonly:
        return
    lane = []
    modules = {item.module for item in session.items if getattr(item, "module", None) is not None}
    for module in sorted(modules, key=lambda m: m.__name__):
        if hasattr(module, "early_commands"):
            module.early = module.early_commands(session.config._tmp_path_factory.mktemp(f"early-{module.__name__}"))
            lane += module.early.values()
    for command in lane:
        session.config.add_cleanup(command.stop)  # an aborted session leaves no process behind, nor starts one
    if lane:
        threading.Thread(target=lambda: [command.run() for command in lane], name="early lane", daemon=True).start()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    """linear (25 epochs) and mlp (2 epochs: enough to be a real classifier) trained into a temp folder."""
    from tfjs_bridge.train.run import train_and_save

    root = tmp_path_factory.mktemp("artifacts")
    runs = {
        # Each epoch of the linear model is one step plus a checkpoint: 25 of them fit it well (loss 250 → ~0.6).
        "linear": dataclasses.replace(config.DEFAULTS["linear"], epochs=25, out=root / "linear"),
        "mlp": dataclasses.replace(config.DEFAULTS["mlp"], epochs=2, out=root / "mlp"),
    }
    for name, cfg in runs.items():
        train_and_save(name, cfg, progress=False)
    return root


@pytest.fixture(scope="session")
def exported(artifacts, tmp_path_factory):
    """The quick-trained artifacts exported as tf.js graph models; returns the models folder."""
    from tfjs_bridge.export.convert import export_artifact

    out = tmp_path_factory.mktemp("web_models")
    for name in ("linear", "mlp"):
        export_artifact(artifacts / name, out)
    return out


class Outcome(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """`tfjs-bridge ARGS...` in this process: (exit code, stdout, stderr); argparse's exits become codes."""
    def call(*argv) -> Outcome:
        capsys.readouterr()
        try:
            code = tfjs_bridge.cli.main([str(a) for a in argv])
        except SystemExit as done:
            code = done.code
        return Outcome(code, *capsys.readouterr())
    return call


@pytest.fixture(scope="session")
def litert_folder(keras_modules, tmp_path_factory):
    """tiny_classifier exported for tf.js and LiteRT.js (graph format, model.tflite at batches 1 and 16)."""
    from tests.support.keras_models import tiny_classifier
    from tfjs_bridge.export.convert import ExportOptions, export_source
    from tfjs_bridge.export.sources import from_keras

    out = tmp_path_factory.mktemp("litert")
    options = ExportOptions("graph", runtimes=("tfjs", "litert"))
    (meta,) = export_source(from_keras(tiny_classifier(keras_modules["keras3"]), "tiny"), out, options)
    return out / meta["name"]


@pytest.fixture(scope="session")
def keras_modules():
    """Keras 3 (tf.keras under TF 2.19) and tf_keras (the legacy Keras 2), keyed by the names metadata uses."""
    from tfjs_bridge.common.quiet import quiet_import

    return {"keras3": quiet_import("keras"), "tf_keras": quiet_import("tf_keras")}
