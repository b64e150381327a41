"""A user's registered custom layer, imported by `tfjs-bridge export --custom-objects tests/suite/custom_layers.py`."""

import keras


@keras.saving.register_keras_serializable(package="suite")
class ScaledTanh(keras.layers.Layer):
    """tanh(x * scale) with a trainable per-feature scale."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return keras.ops.tanh(x * self.scale)
