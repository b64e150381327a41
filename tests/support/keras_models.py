"""Keras models that tests of several stages build."""

import numpy as np


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
