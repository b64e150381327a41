"""Shared fixtures: the offline MNIST split, quick-trained artifacts, their tf.js exports, the CLI in process."""

import dataclasses
import threading
from typing import NamedTuple

import numpy as np
import pytest
from helpers import edited_copy, shift_first_output, verify_json

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
def offline_split():
    """The real offline MNIST split, loaded once."""
    from tfjs_bridge.train.data import load_offline_mnist

    return load_offline_mnist()


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
def node_parity(exported, tmp_path_factory):
    """One Node run (cpu, wasm) over the fresh exports and two broken copies of the mlp: (exit code, rows).

    mlp-drifted: one expected output moved by 1e-3 (10x the float32 tolerance), goldens.json resealed so only
    parity can catch it; mlp-truncated: the weight shard 100 bytes short. Rows are {(folder, backend): row}.
    """
    broken = tmp_path_factory.mktemp("broken_parity")
    edited_copy(exported / "mlp", broken / "mlp-drifted", goldens=shift_first_output(1e-3))
    truncated = edited_copy(exported / "mlp", broken / "mlp-truncated")
    shard = next(truncated.glob("*.bin"))
    shard.write_bytes(shard.read_bytes()[:-100])
    return verify_json(exported, broken)


def small_conv(keras, seed: int = 0):
    """A small functional CNN (16x16x1 → 5 classes) using every layer type the layers format promises."""
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    x = keras.Input(shape=(16, 16, 1), name="pixels")
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(x)
    b = layers.DepthwiseConv2D(3, padding="same", name="depthwise")(a)
    b = layers.BatchNormalization(name="bn")(b)
    b = layers.ReLU(name="relu")(b)
    c = layers.Add(name="add")([a, b])
    c = layers.Concatenate(name="concat")([c, a])
    c = layers.MaxPooling2D(name="maxpool")(c)
    c = layers.AveragePooling2D(2, name="avgpool")(c)
    c = layers.Dropout(0.25, name="dropout")(c)
    c = layers.Flatten(name="flatten")(c)
    c = layers.Reshape((-1,), name="reshape")(c)
    c = layers.Dense(5, name="dense")(c)
    y = layers.Activation("softmax", name="softmax")(c)
    model = keras.Model(x, y, name="conv")
    # Non-trivial batch-norm statistics, so a wrongly mapped moving mean/variance changes the outputs.
    rng = np.random.default_rng(seed)
    gamma, beta, mean, var = model.get_layer("bn").get_weights()
    model.get_layer("bn").set_weights([gamma * 1.5, beta + 0.1, rng.normal(0, 0.1, mean.shape).astype("float32"),
                                       rng.uniform(0.5, 2.0, var.shape).astype("float32")])
    return model


def tiny_classifier(keras, name: str = "tiny", dtype: str = "float32"):
    """A 4 → 3 softmax classifier of a few hundred bytes (for tests of a conversion, not of a model)."""
    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(4,), name="x", dtype=dtype)
    h = x if dtype == "float32" else keras.layers.Lambda(lambda t: keras.ops.cast(t, "float32"))(x)
    return keras.Model(x, keras.layers.Dense(3, activation="softmax", name="probs")(h), name=name)


@pytest.fixture(scope="session")
def litert_folder(keras_modules, tmp_path_factory):
    """tiny_classifier exported for tf.js and LiteRT.js (graph format, model.tflite at batches 1 and 16)."""
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
