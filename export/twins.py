"""Functional twins of the project's subclassed models, so they can also ship as (trainable) tfjs layers models.

A subclassed model has no topology tfjs-layers can read. Each twin is the same computation written as a
functional model with the same layer names; it takes the trained weights from the artifact's SavedModel
checkpoint and must give the same outputs before anything is converted.
"""

from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import quiet_import, tf
from tfjs_bridge.export.errors import ExportError
from tfjs_bridge.train.models import MyLinear, MyMLP

# Same kernels, same weights, same op order: measured max |Δ| against the SavedModel is 0 for both models.
TWIN_TOLERANCE = 1e-6
SUBCLASSES = {"linear": MyLinear, "mlp": MyMLP}


def keras_module(flavour: str):
    """The Keras package a twin is built with: Keras 3 (`tf.keras` under TF 2.19) or tf_keras."""
    return quiet_import("tf_keras" if flavour == "tf_keras" else "keras")


def linear_twin(keras, input_shape, trained: MyLinear):
    """Input → Dense(1), as MyLinear."""
    x = keras.Input(shape=input_shape, name="x")
    y = keras.layers.Dense(1, name="dense")(x)
    return keras.Model(x, y, name="linear"), {"dense": trained.dense}


def mlp_twin(keras, input_shape, trained: MyMLP):
    """Input → Flatten → Dense(relu) → Dense → Softmax, as MyMLP."""
    x = keras.Input(shape=input_shape, name="image")
    h = keras.layers.Flatten(name="flatten")(x)
    h = keras.layers.Dense(trained.hidden.units, activation="relu", name="hidden")(h)
    h = keras.layers.Dense(trained.logits.units, name="logits")(h)
    y = keras.layers.Softmax(name="softmax")(h)
    return keras.Model(x, y, name="mlp"), {"hidden": trained.hidden, "logits": trained.logits}


TWINS = {"linear": linear_twin, "mlp": mlp_twin}


def restore_subclassed(name: str, saved_model: Path, input_shape: tuple):
    """The artifact's subclassed model, rebuilt from its class and its SavedModel's variables."""
    model = SUBCLASSES[name]()
    model(tf.zeros([1, *input_shape]))
    status = tf.train.Checkpoint(model).read(str(Path(saved_model) / "variables" / "variables"))
    status.assert_existing_objects_matched().expect_partial()
    return model


def build_twin(name: str, saved_model: Path, input_shape: tuple, flavour: str, reference, sample: np.ndarray):
    """The functional twin of an artifact's model in the given Keras flavour, checked against reference outputs."""
    if name not in TWINS:
        raise ExportError(f"no functional twin for '{name}': use --format graph")
    trained = restore_subclassed(name, saved_model, input_shape)
    twin, sources = TWINS[name](keras_module(flavour), tuple(input_shape), trained)
    for layer_name, layer in sources.items():
        twin.get_layer(layer_name).set_weights(layer.get_weights())
    diff = float(np.max(np.abs(np.asarray(twin(sample, training=False)) - reference(sample))))
    if not diff <= TWIN_TOLERANCE:
        raise ExportError(f"{name}: functional twin differs from the trained model by {diff:.2e}")
    return twin
