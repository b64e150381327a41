"""SavedModels with an explicit serving signature: what training writes and what the graph converter reads."""

from pathlib import Path

from tfjs_bridge.common.quiet import tf


def save_serving_model(model, input_name: str, input_shape: tuple, path: Path) -> None:
    """Write a SavedModel whose explicit serving signature maps a named float32 input to 'output'."""
    spec = tf.TensorSpec([None, *input_shape], tf.float32, name=input_name)
    serve = tf.function(lambda x: {"output": model(x, training=False)}, input_signature=[spec])
    tf.saved_model.save(model, str(path), signatures={"serving_default": serve})
