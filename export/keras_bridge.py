"""Keras models as tfjs layers models: Keras 3 graphs rebuilt as tf_keras, whose topology tfjs-layers 4.22 reads.

The converter's Keras 3 output does not load in tfjs-layers 4.22 (Keras 3 writes `batch_shape`, dtype
policies as dicts and a new `inbound_nodes` form). tf_keras writes the Keras 2 topology tfjs-layers
knows, so a Keras 3 functional or sequential model is rebuilt layer by layer as a tf_keras model with
the same names and weights, checked to give the same outputs, and saved through the tf_keras path.
"""

import numpy as np

from tfjs_bridge.common.quiet import quiet_import
from tfjs_bridge.export.errors import UnsupportedModelError
from tfjs_bridge.export.tensors import has_dict, nesting

# Layers whose Keras 2 form tfjs-layers 4.22 reads (the classes it registers, listed by
# tf.serialization.SerializationMap in node_modules/@tensorflow/tfjs-layers) and whose Keras 3 config tf_keras
# accepts once cleaned. Keras layers outside it (Normalization, MultiHeadAttention, StringLookup, Subtract, custom
# layers, ...) go to the graph format, and so do SeparableConv2D (tfjs-layers refuses the kernel_initializer field
# tf_keras writes for it) and Resizing and CenterCrop (tfjs-layers drops
# their batch dimension). Tested end to end by the model suite (tests/suite/models.py).
SUPPORTED_LAYERS = frozenset({
    "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Masking",
    "Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "DepthwiseConv2D",
    "Cropping2D", "UpSampling2D", "ZeroPadding2D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "BatchNormalization", "LayerNormalization", "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax",
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply",
    "Embedding", "SimpleRNN", "GRU", "LSTM", "ConvLSTM2D", "Bidirectional", "TimeDistributed",
    "AlphaDropout", "GaussianDropout", "GaussianNoise", "SpatialDropout1D",
    "Rescaling", "CategoryEncoding", "RandomWidth",
})
# Settings tfjs-layers 4.22 does not implement: (class, config key, value that it cannot run, why).
UNSUPPORTED_SETTINGS = (
    ("GRU", "reset_after", True, "tfjs-layers implements GRU only with reset_after=False"),
)
# Config keys Keras 3 adds that tf_keras's constructors reject. These carry no meaning for inference (seeds only
# draw dropout masks and initial weights, use_cudnn picks a kernel) or, at the neutral value, none either: a
# layer with any other value is refused.
KERAS3_ONLY_KEYS = frozenset({"optional", "quantization_config", "lora_rank", "lora_alpha", "input_axes", "output_axes",
                              "seed", "use_cudnn", "rms_scaling"})
NEUTRAL_VALUES = {"rms_scaling": False}
# A rebuilt model runs the same TensorFlow kernels on the same weights, in an order that may differ (batch-norm
# folded differently, fused or separate recurrent gates). The difference is float32 rounding, which grows with
# depth and with the size of the outputs, so the bar is relative to max(1, largest |output|). Measured max |Δ|
# (relative) on the model suite's goldens: 0 for the RNNs, multi-input and layer-zoo models, 4.5e-8 MobileNetV2,
# 8.9e-8 the ResNet, 1.2e-7 Conv1D + LayerNormalization; issue 11 reports 3.4e-6 for ResNet50 with ImageNet weights
# at 224x224. 2e-5 is 6x that and 5x under the 1e-4 parity tolerance the export must still meet; a misplaced
# weight moves outputs by 1e-2 and more.
REBUILD_TOLERANCE = 2e-5


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


def tf_dtype(dtype) -> str:
    """A Keras or TensorFlow dtype's plain name."""
    return getattr(dtype, "name", dtype)


def inner_layers(layer) -> list:
    """The layer and the layers it wraps (Bidirectional's two directions, TimeDistributed's layer)."""
    wrapped = [getattr(layer, attr) for attr in ("forward_layer", "backward_layer", "layer") if hasattr(layer, attr)]
    return [layer, *[w for inner in wrapped for w in inner_layers(inner)]]


def check_supported(model) -> None:
    """Raise UnsupportedModelError naming the first layer the layers format cannot carry."""
    if not is_graph_network(model):
        raise UnsupportedModelError(
            f"{model.name} is a subclassed {type(model).__name__}: the layers format needs a functional or "
            "sequential model; use --format graph")
    if has_dict(nesting(model, "inputs")) or has_dict(nesting(model, "outputs")):
        raise UnsupportedModelError(f"{model.name} takes or returns a dict of tensors; tfjs-layers models take and return "
                                    "lists; use --format graph")
    for tensor in model.inputs:
        if tf_dtype(tensor.dtype) in ("uint8", "int64"):
            raise UnsupportedModelError(f"input '{tensor.name}' is {tf_dtype(tensor.dtype)}, which tfjs-layers cannot feed "
                                        "(tf.js has int32 only); use --format graph")
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in SUPPORTED_LAYERS:
            raise UnsupportedModelError(
                f"layer '{layer.name}' ({kind}) is not supported by the layers format; use --format graph")
        for inner in inner_layers(layer):
            config = inner.get_config()
            for key, neutral in NEUTRAL_VALUES.items():
                if config.get(key, neutral) != neutral:
                    raise UnsupportedModelError(
                        f"layer '{layer.name}' ({kind}) has {key}={config[key]}, which tfjs-layers does not implement; "
                        "use --format graph")
            if config.get("groups", 1) != 1:  # tfjs-layers 4.22 has no grouped convolution: the kernel would not load
                raise UnsupportedModelError(f"layer '{layer.name}' ({kind}) has groups={config['groups']}, which "
                                            "tfjs-layers does not implement; use --format graph")
            for cls, key, value, why in UNSUPPORTED_SETTINGS:
                if type(inner).__name__ == cls and config.get(key) == value:
                    raise UnsupportedModelError(
                        f"layer '{layer.name}' ({cls}) has {key}={value}: {why}; use --format graph")


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


def mirrored_bidirectional(config: dict, name: str) -> dict:
    """A Bidirectional config without its backward layer, which tf_keras and tfjs-layers derive from the forward one.

    Keras 3 always writes the backward layer (named backward_<inner>) and the forward one as forward_<inner>;
    tf_keras adds those prefixes itself, so the inner name goes back to <inner> and weight names match tfjs-layers'.
    """
    forward, backward = config["layer"]["config"], (config.pop("backward_layer", None) or {}).get("config")
    ignore = ("name", "go_backwards")
    if backward and {k: v for k, v in forward.items() if k not in ignore} != {k: v for k, v in backward.items() if k not in ignore}:
        raise UnsupportedModelError(f"layer '{name}' (Bidirectional) has a backward layer unlike its forward one, "
                                    "which tfjs-layers cannot load; use --format graph")
    forward["name"] = forward["name"].removeprefix("forward_")
    return config


def rebuilt_layer(tf_keras, layer):
    """The tf_keras twin of one Keras 3 layer (same class, name and settings, no weights yet)."""
    kind = type(layer).__name__
    config = clean_config(layer.get_config())
    if kind == "InputLayer":
        config["batch_input_shape"] = config.pop("batch_shape", None)
    if kind == "Bidirectional":
        config = mirrored_bidirectional(config, layer.name)
    resolve_reshape(kind, config, layer.output.shape)
    try:
        return tf_keras.layers.deserialize({"class_name": kind, "config": config})
    except (TypeError, ValueError) as err:
        raise UnsupportedModelError(
            f"layer '{layer.name}' ({kind}) cannot be rebuilt for tfjs-layers ({str(err).splitlines()[0][:160]}); "
            "use --format graph") from None


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
        if name not in layers:  # Keras 3 records bare ops (x + y, ops.arange, mask arithmetic) as graph nodes
            raise UnsupportedModelError(f"the model applies the op '{name}' outside any layer, which tfjs-layers cannot "
                                        "load; use --format graph")
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
    rebuilt = tf_keras.Sequential([tf_keras.Input(batch_shape=shape, dtype=model.inputs[0].dtype)], name=model.name)
    for twin in twins.values():
        rebuilt.add(twin)
    return rebuilt, twins


def max_relative_diff(a, b) -> float:
    """Largest |a - b| over every output, each relative to max(1, its largest |value|)."""
    worst = 0.0
    for x, y in zip(a if isinstance(a, (list, tuple)) else [a], b if isinstance(b, (list, tuple)) else [b]):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if x.shape != y.shape:
            return float("inf")
        if y.size:
            worst = max(worst, float(np.max(np.abs(x - y))) / max(1.0, float(np.max(np.abs(y)))))
    return worst


def to_tf_keras(model, sample):
    """A tf_keras model equal to model, in the form tfjs-layers loads, checked on sample inputs (an array, or a list
    in the model's input order)."""
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
    diff = max_relative_diff(rebuilt(sample, training=False), model(sample, training=False))
    if not diff <= REBUILD_TOLERANCE:
        raise UnsupportedModelError(
            f"{model.name}: the tf_keras rebuild differs from the Keras 3 model by {diff:.2e} (relative); use --format graph")
    return rebuilt
