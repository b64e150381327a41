"""Keras models as tfjs layers models: Keras 3 graphs rebuilt as tf_keras, whose topology tfjs-layers 4.22 reads.

The converter's Keras 3 output does not load in tfjs-layers 4.22 (Keras 3 writes `batch_shape`, dtype
policies as dicts and a new `inbound_nodes` form). tf_keras writes the Keras 2 topology tfjs-layers
knows, so a Keras 3 functional or sequential model is rebuilt layer by layer as a tf_keras model with
the same names and weights, checked to give the same outputs, and saved through the tf_keras path.
"""

import numpy as np

from tfjs_bridge.common.quiet import quiet_import
from tfjs_bridge.export.errors import UnsupportedModelError

# Layers whose Keras 2 form tfjs-layers 4.22 reads and whose Keras 3 config tf_keras accepts once cleaned.
# Tested end to end (Python → tf.js parity) in tests/test_keras_bridge.py.
SUPPORTED_LAYERS = frozenset({
    "InputLayer", "Dense", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization", "Dropout",
    "Flatten", "Reshape", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "Activation", "ReLU", "Softmax", "LeakyReLU", "Add", "Concatenate", "ZeroPadding2D",
})
# Config keys Keras 3 adds that tf_keras's constructors reject (they carry no meaning for inference).
KERAS3_ONLY_KEYS = frozenset({"optional", "quantization_config", "lora_rank", "lora_alpha", "input_axes", "output_axes"})
# A rebuilt model runs the same TensorFlow kernels on the same weights: measured max |Δ| is 0 for Dense-only
# models and 3e-8 for the test CNN (batch-norm arithmetic ordered differently). A misplaced weight moves
# outputs by far more than this.
REBUILD_TOLERANCE = 1e-6


def keras_flavour(model) -> str:
    """'tf_keras' or 'keras3' for a Keras model, or UnsupportedModelError for anything else."""
    tf_keras = quiet_import("tf_keras")
    keras = quiet_import("keras")
    if isinstance(model, tf_keras.Model):
        return "tf_keras"
    if isinstance(model, keras.Model):
        return "keras3"
    raise UnsupportedModelError(f"not a Keras model: {type(model).__name__}")


def is_graph_network(model) -> bool:
    """True for functional and sequential models (the layers format); False for subclassed ones."""
    if keras_flavour(model) == "tf_keras":
        return bool(getattr(model, "_is_graph_network", False))
    return type(model).__name__ in ("Functional", "Sequential")


def check_supported(model) -> None:
    """Raise UnsupportedModelError naming the first layer the layers format cannot carry."""
    if not is_graph_network(model):
        raise UnsupportedModelError(
            f"{model.name} is a subclassed {type(model).__name__}: the layers format needs a functional or "
            "sequential model; use --format graph")
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in SUPPORTED_LAYERS:
            raise UnsupportedModelError(
                f"layer '{layer.name}' ({kind}) is not supported by the layers format; use --format graph")


def clean_config(value):
    """A Keras 3 serialized config in the form tf_keras reads: plain dtype names, no Keras-3-only keys."""
    if isinstance(value, dict):
        if value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
            return value["config"]["name"]
        if value.get("class_name") == "__keras_tensor__":
            raise UnsupportedModelError("a layer takes a tensor inside its config; use --format graph")
        return {k: clean_config(v) for k, v in value.items()
                if k not in KERAS3_ONLY_KEYS and k not in ("module", "registered_name", "build_config")}
    if isinstance(value, list):
        return [clean_config(v) for v in value]
    return value


def resolve_reshape(kind: str, config: dict, output_shape) -> None:
    """Replace a Reshape's -1 by its known size: tfjs-layers leaves it unresolved and a Dense after it cannot build."""
    if kind == "Reshape" and -1 in config["target_shape"] and None not in tuple(output_shape)[1:]:
        config["target_shape"] = list(output_shape[1:])


def tfjs_ready_tf_keras(tf_keras, model):
    """A tf_keras model as is, or cloned with its Reshape layers' -1 resolved (same weights)."""
    if not any(type(l).__name__ == "Reshape" and -1 in l.target_shape for l in model.layers):
        return model

    def clone(layer):
        config = layer.get_config()
        resolve_reshape(type(layer).__name__, config, layer.output_shape)
        return layer.__class__.from_config(config)

    cloned = tf_keras.models.clone_model(model, clone_function=clone)
    cloned.set_weights(model.get_weights())
    return cloned


def rebuilt_layer(tf_keras, layer):
    """The tf_keras twin of one Keras 3 layer (same class, name and settings, no weights yet)."""
    kind = type(layer).__name__
    config = clean_config(layer.get_config())
    if kind == "InputLayer":
        config["batch_input_shape"] = config.pop("batch_shape", None)
    resolve_reshape(kind, config, layer.output.shape)
    try:
        return tf_keras.layers.deserialize({"class_name": kind, "config": config})
    except (TypeError, ValueError) as err:
        raise UnsupportedModelError(
            f"layer '{layer.name}' ({kind}) cannot be rebuilt for tfjs-layers ({err}); use --format graph") from None


def node_inputs(node: dict) -> list:
    """The (layer, node, tensor) histories a Keras 3 config node reads, in call order."""
    found = []

    def walk(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found.append(tuple(value["config"]["keras_history"]))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(node["args"])
    return found


def rebuild_functional(tf_keras, model):
    """Rebuild a Keras 3 functional model's graph with tf_keras layers, following its config's nodes."""
    config = model.get_config()
    layers = {layer.name: layer for layer in model.layers}
    tensors, twins = {}, {}
    for entry in config["layers"]:
        name = entry["name"]
        twins[name] = twin = rebuilt_layer(tf_keras, layers[name])
        if entry["class_name"] == "InputLayer":
            tensors[(name, 0, 0)] = twin.output
            continue
        for index, node in enumerate(entry["inbound_nodes"]):
            # `training` and `mask` are set by the framework at call time, not part of the graph.
            extra = sorted(k for k, v in node.get("kwargs", {}).items() if v is not None and k not in ("training", "mask"))
            if extra:
                raise UnsupportedModelError(f"layer '{name}' is called with {extra}; use --format graph")
            args = [tensors[tuple(h)] for h in node_inputs(node)]
            out = twin(args if len(args) > 1 or isinstance(node["args"][0], list) else args[0])
            for t, tensor in enumerate(out if isinstance(out, list) else [out]):
                tensors[(name, index, t)] = tensor

    def pick(refs):
        refs = [refs] if refs and not isinstance(refs[0], list) else refs
        return [tensors[tuple(r)] for r in refs]

    inputs, outputs = pick(config["input_layers"]), pick(config["output_layers"])
    return tf_keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs if len(outputs) > 1 else outputs[0],
                          name=model.name), twins


def rebuild_sequential(tf_keras, model):
    """Rebuild a Keras 3 sequential model with tf_keras layers, input layer first."""
    shape = [None, *model.input_shape[1:]]
    twins = {layer.name: rebuilt_layer(tf_keras, layer) for layer in model.layers}
    rebuilt = tf_keras.Sequential([tf_keras.Input(batch_shape=shape)],
                                  name=model.name)
    for twin in twins.values():
        rebuilt.add(twin)
    return rebuilt, twins


def to_tf_keras(model, sample: np.ndarray):
    """A tf_keras model equal to model, in the form tfjs-layers loads, checked on sample inputs."""
    check_supported(model)
    tf_keras = quiet_import("tf_keras")
    if keras_flavour(model) == "tf_keras":
        rebuilt = tfjs_ready_tf_keras(tf_keras, model)
    else:
        rebuild = rebuild_sequential if type(model).__name__ == "Sequential" else rebuild_functional
        rebuilt, twins = rebuild(tf_keras, model)
        for layer in model.layers:
            if layer.weights:
                twins[layer.name].set_weights(layer.get_weights())
    diff = np.max(np.abs(np.asarray(rebuilt(sample, training=False)) - np.asarray(model(sample, training=False))))
    if not diff <= REBUILD_TOLERANCE:
        raise UnsupportedModelError(
            f"{model.name}: the tf_keras rebuild differs from the Keras 3 model by {diff:.2e}; use --format graph")
    return rebuilt
