"""The two subclassed models from the seed notes."""

from tfjs_bridge.common.quiet import tf


class MyLinear(tf.keras.Model):
    """y = x·w + b: one Dense(1) unit starting from zeros."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = tf.keras.layers.Dense(
            units=1, kernel_initializer="zeros", bias_initializer="zeros"
        )

    def call(self, inputs):
        return self.dense(inputs)


class MyMLP(tf.keras.Model):
    """Flatten → Dense(100, relu) → Dense(10) → softmax over the ten digits."""

    def __init__(self, hidden: int = 100, classes: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(units=hidden, activation="relu")
        self.logits = tf.keras.layers.Dense(units=classes)

    def call(self, inputs):
        return tf.nn.softmax(self.logits(self.hidden(self.flatten(inputs))))
