"""The model suite: small models of the kinds users bring, each saved as a user would save it, with the exports
(`tfjs-bridge export` arguments) it must survive. `python -m tests.suite.build` writes them under artifacts/suite/.

Sizes are CI-sized (32x32 images, a few filters, 12-token texts): what is tested is that every kind of graph,
layer, dtype and signature converts and runs in tf.js, not accuracy. Weights are random (weights=None) but
seeded, so a rebuild produces the same folders.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfjs_bridge.common.quiet import quiet_import, tf

SEED = 0
VOCAB = 40  # token ids of the text models; the exporter must read it from the Embedding (goldens below it)
TOKENS = 12
LAYERS, GRAPH = ["--format", "layers"], ["--format", "graph"]
# The CNNs also ship quantized: the sizes users pick for the web, and the cases that set the quantized rule.
CNN_EXPORTS = {"layers": LAYERS, "graph": GRAPH, "layers-float16": [*LAYERS, "--quantize", "float16"],
               "layers-uint8": [*LAYERS, "--quantize", "uint8"]}
CNN_GRAPH_EXPORTS = {"auto": [], "graph-float16": [*GRAPH, "--quantize", "float16"], "graph-uint8": [*GRAPH, "--quantize", "uint8"]}
BOTH = {"layers": LAYERS, "graph": GRAPH}
# Each case's float32 graph export (else its auto one) also writes model.tflite, so the suite proves LiteRT.js too:
# one export per case, and one whose proof runs no layers candidate where the case has a graph export, because every
# candidate of an auto export is converted to TFLite again. Measured (interleaved, 2 shared cores): the conversion
# doubles or triples an export (ResNet 4.6-6.8 s → 12.0-12.8 s, EfficientNetB0 32-41 s → 91-94 s, Conv1D
# 1.4-2.6 s → 5.3-6.3 s), most of it re-saving the Keras model as a SavedModel and TFLite's converter itself.
LITERT = ["--runtime", "tfjs,litert"]
LITERT_PREFERENCE = ("graph", "auto")


@dataclass
class Case:
    """One model of the suite: how to build and save it, and the exports (folder suffix → CLI arguments) it gets."""

    name: str
    kind: str  # the support table's row label
    build: Callable[[Path], Path]  # writes the model under a folder; returns what `tfjs-bridge export` is given
    exports: dict = field(default_factory=lambda: {"auto": []})
    refused: dict = field(default_factory=dict)  # export suffix → what its one-line refusal (exit 2) must say
    litert: str = ""  # the export suffix that also writes model.tflite (--runtime tfjs,litert); default: LITERT_PREFERENCE

    def __post_init__(self):
        """Add --runtime tfjs,litert to the LiteRT.js export's arguments (a copy: export dicts are shared by cases)."""
        self.litert = self.litert or next((s for s in LITERT_PREFERENCE if s in self.exports), next(iter(self.exports)))
        self.exports = {s: [*args, *LITERT] if s == self.litert else args for s, args in self.exports.items()}


def keras():
    """Keras 3, seeded."""
    module = quiet_import("keras")
    module.utils.set_random_seed(SEED)
    return module


def tf_keras():
    """tf_keras (Keras 2), seeded."""
    module = quiet_import("tf_keras")
    module.utils.set_random_seed(SEED)
    return module


def save_keras(model, folder: Path) -> Path:
    """A Keras 3 model as a .keras file."""
    path = folder / f"{model.name}.keras"
    model.save(path)
    return path


def trained_looking(model):
    """Random batch-norm statistics and biases, as training leaves them: with weights=None's zeros and ones, deep
    CNNs give the same output for every image (max |Δ| 0 would prove nothing), and a misplaced one would not show."""
    rng = np.random.default_rng(SEED)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma * rng.uniform(0.5, 1.5, gamma.shape), beta + rng.normal(0, 0.2, beta.shape),
                               rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 2.0, var.shape)])
        elif type(layer).__name__ == "Dense":
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.1, bias.shape)])
    return model


def mobilenetv2(folder):
    """keras.applications.MobileNetV2 at 32x32, alpha 0.35, 5 classes."""
    k = keras()
    return save_keras(trained_looking(k.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None,
                                                                 classes=5, name="mobilenetv2")), folder)


def calibrated(model):
    """Batch-norm statistics measured on seeded [0, 1) images (the range of the exporter's default goldens) in one
    training-mode pass with momentum 0, and random Dense biases: with weights=None's statistics (or trained_looking's
    random ones) the signal dies within a few dozen layers and a deep CNN gives the same output for every image
    (measured: MobileNet v1, MobileNetV3Small and EfficientNetB0 outputs varied by < 5e-8 across 16 goldens)."""
    norms = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0  # the moving statistics become this batch's
    model(np.random.default_rng(SEED).uniform(0, 1, (32, *model.input_shape[1:])).astype("float32"), training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum
    return trained_looking_dense(model)


def trained_looking_dense(model):
    """Random Dense biases (the classifier head's zeros would hide a misplaced one), and ConvNeXt's LayerScale
    factors as training leaves them, not their 1e-6 start (which makes every block an identity)."""
    rng = np.random.default_rng(SEED)
    for layer in model.layers:
        if type(layer).__name__ == "Dense":
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0, 0.1, bias.shape)])
        elif type(layer).__name__ == "LayerScale":
            layer.set_weights([rng.uniform(0.1, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return model


def application(name: str, build, **kwargs) -> Callable[[Path], Path]:
    """A keras.applications network at 32x32 (the smallest each allows), random weights, 5 classes, saved as .keras."""
    def save(folder):
        k = keras()
        model = getattr(k.applications, build)(input_shape=(32, 32, 3), weights=None, classes=5, name=name, **kwargs)
        return save_keras(calibrated(model), folder)
    save.__doc__ = f"keras.applications.{build} at 32x32{''.join(f', {k}={v}' for k, v in kwargs.items())}, 5 classes."
    return save


def efficientnet(folder):
    """An EfficientNet-style network at 32x32: Rescaling + Normalization stem, swish, MBConv blocks with
    squeeze-and-excitation (keras.applications.EfficientNetB0 is the same blocks, but 4M weights take 45 s per export)."""
    k = keras()
    layers = k.layers
    x = k.Input((32, 32, 3), name="image")
    norm = layers.Normalization(name="normalize")
    norm.adapt(np.random.default_rng(SEED).uniform(0, 1, (64, 32, 32, 3)).astype("float32"))
    h = norm(layers.Rescaling(1 / 255, name="rescale")(x))
    h = layers.Activation("swish", name="stem_act")(layers.BatchNormalization(name="stem_bn")(
        layers.Conv2D(8, 3, 2, padding="same", use_bias=False, name="stem_conv")(h)))
    for i, (filters, stride) in enumerate(((8, 1), (16, 2), (16, 1))):
        p, inputs = f"block{i}", h
        e = layers.Activation("swish", name=f"{p}_expand_act")(layers.BatchNormalization(name=f"{p}_expand_bn")(
            layers.Conv2D(inputs.shape[-1] * 4, 1, use_bias=False, name=f"{p}_expand")(h)))
        e = layers.Activation("swish", name=f"{p}_dw_act")(layers.BatchNormalization(name=f"{p}_dw_bn")(
            layers.DepthwiseConv2D(3, stride, padding="same", use_bias=False, name=f"{p}_dw")(e)))
        se = layers.Reshape((1, 1, e.shape[-1]), name=f"{p}_se_reshape")(layers.GlobalAveragePooling2D(name=f"{p}_se_pool")(e))
        se = layers.Conv2D(e.shape[-1], 1, activation="sigmoid", name=f"{p}_se_expand")(
            layers.Conv2D(2, 1, activation="swish", name=f"{p}_se_reduce")(se))
        e = layers.Multiply(name=f"{p}_se_excite")([e, se])
        h = layers.BatchNormalization(name=f"{p}_project_bn")(layers.Conv2D(filters, 1, use_bias=False, name=f"{p}_project")(e))
        if stride == 1 and inputs.shape[-1] == filters:
            h = layers.Add(name=f"{p}_add")([h, inputs])
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return save_keras(k.Model(x, layers.Dense(5, activation="softmax", name="probs")(h), name="efficientnet"), folder)


def resnet(folder):
    """A ResNet v1 (bottleneck-free) of 3 stages x 2 residual blocks, batch norm with non-trivial statistics."""
    k = keras()
    layers = k.layers
    x = k.Input((32, 32, 3), name="image")
    h = layers.Conv2D(8, 3, padding="same", use_bias=False, name="stem")(x)
    h = layers.ReLU(name="stem_relu")(layers.BatchNormalization(name="stem_bn")(h))
    for stage, filters in enumerate((8, 16, 32)):
        for block in range(2):
            stride = 2 if stage and not block else 1
            p = f"s{stage}b{block}"
            y = layers.Conv2D(filters, 3, stride, padding="same", use_bias=False, name=f"{p}_conv1")(h)
            y = layers.ReLU(name=f"{p}_relu1")(layers.BatchNormalization(name=f"{p}_bn1")(y))
            y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{p}_conv2")(y)
            y = layers.BatchNormalization(name=f"{p}_bn2")(y)
            if stride != 1 or h.shape[-1] != filters:
                h = layers.BatchNormalization(name=f"{p}_proj_bn")(layers.Conv2D(filters, 1, stride, name=f"{p}_proj")(h))
            h = layers.ReLU(name=f"{p}_out")(layers.Add(name=f"{p}_add")([h, y]))
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    model = k.Model(x, layers.Dense(5, activation="softmax", name="probs")(h), name="resnet")
    return save_keras(trained_looking(model), folder)


def text_model(name: str, recurrent) -> Callable[[Path], Path]:
    """Embedding → a recurrent layer → Dense softmax over int32 token ids."""
    def build(folder):
        k = keras()
        tokens = k.Input((TOKENS,), dtype="int32", name="tokens")
        h = k.layers.Embedding(VOCAB, 8, name="embedding")(tokens)
        h = recurrent(k)(h)
        return save_keras(k.Model(tokens, k.layers.Dense(3, activation="softmax", name="probs")(h), name=name), folder)
    return build


def transformer(folder):
    """One Transformer encoder block: token + position embeddings, 2-head self-attention, approximate-gelu FFN."""
    k = keras()
    layers = k.layers
    tokens = k.Input((TOKENS,), dtype="int32", name="tokens")
    h = layers.Embedding(VOCAB, 16, name="embedding")(tokens)
    h = h + layers.Embedding(TOKENS, 16, name="positions")(k.ops.arange(TOKENS))
    a = layers.MultiHeadAttention(2, 8, name="attention")(h, h)
    h = layers.LayerNormalization(name="norm1")(layers.Add(name="res1")([h, a]))
    f = layers.Dense(32, activation=lambda t: k.activations.gelu(t, approximate=True), name="ffn1")(h)
    h = layers.LayerNormalization(name="norm2")(layers.Add(name="res2")([h, layers.Dense(16, name="ffn2")(f)]))
    y = layers.Dense(3, activation="softmax", name="probs")(layers.GlobalAveragePooling1D(name="pool")(h))
    model = k.Model(tokens, y, name="transformer")
    # A lambda activation cannot be saved safely: the SavedModel keeps the graph, which is what tf.js runs.
    path = folder / "transformer"
    model.export(path, verbose=False)
    return path


def gelu_exact(folder):
    """Dense with exact gelu: TensorFlow computes it with erfc, which tf.js does not implement."""
    k = keras()
    x = k.Input((6,), name="x")
    return save_keras(k.Model(x, k.layers.Dense(4, activation="gelu", name="dense")(x), name="gelu_exact"), folder)


def conv1d(folder):
    """A 1-D CNN over 32-step, 2-channel signals: Conv1D, PReLU, pooling, LayerNormalization."""
    k = keras()
    layers = k.layers
    x = k.Input((32, 2), name="signal")
    h = layers.PReLU(name="prelu")(layers.Conv1D(8, 5, padding="same", name="conv1")(x))
    h = layers.MaxPooling1D(name="pool1")(h)
    h = layers.Conv1D(8, 3, activation="relu", name="conv2")(h)
    h = layers.LayerNormalization(name="norm")(h)
    y = layers.Dense(1, name="value")(layers.GlobalAveragePooling1D(name="pool2")(h))
    return save_keras(k.Model(x, y, name="conv1d"), folder)


def multi_io(folder):
    """Two inputs (int32 tokens, float32 features) and two outputs (class scores, a value), by name."""
    k = keras()
    layers = k.layers
    tokens = k.Input((TOKENS,), dtype="int32", name="tokens")
    features = k.Input((3,), name="features")
    h = layers.Bidirectional(layers.LSTM(6, name="lstm"), name="bilstm")(layers.Embedding(VOCAB, 8, name="embedding")(tokens))
    h = layers.Concatenate(name="concat")([h, features])
    scores = layers.Dense(4, activation="softmax", name="scores")(h)
    value = layers.Dense(1, name="value")(h)
    return save_keras(k.Model([tokens, features], [scores, value], name="multi_io"), folder)


def preprocessing(folder):
    """uint8 image bytes → Rescaling → Normalization (adapted) → small CNN: preprocessing inside the model."""
    k = keras()
    layers = k.layers
    x = k.Input((32, 32, 3), dtype="uint8", name="pixels")
    norm = layers.Normalization(name="normalize")
    norm.adapt(np.random.default_rng(SEED).uniform(0, 1, (64, 32, 32, 3)).astype("float32"))
    h = norm(layers.Rescaling(1 / 255, name="rescale")(x))
    h = layers.Conv2D(4, 3, activation="relu", name="conv")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return save_keras(k.Model(x, layers.Dense(3, activation="softmax", name="probs")(h), name="preprocessing"), folder)


def uint8_layers(folder):
    """uint8 image bytes → Rescaling → CNN, all tfjs-layers classes: uint8 input in the layers format."""
    k = keras()
    layers = k.layers
    x = k.Input((32, 32, 3), dtype="uint8", name="pixels")
    h = layers.Rescaling(1 / 255, name="rescale")(x)
    h = layers.Conv2D(4, 3, activation="relu", name="conv")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return save_keras(k.Model(x, layers.Dense(3, activation="softmax", name="probs")(h), name="uint8_cnn"), folder)


def custom_layer(folder):
    """A .keras file with a registered custom layer (tests/suite/custom_layers.py)."""
    from tests.suite.custom_layers import ScaledTanh

    k = keras()
    x = k.Input((6,), name="x")
    y = k.layers.Dense(3, name="dense")(ScaledTanh(name="scaled_tanh")(k.layers.Dense(6, name="hidden")(x)))
    return save_keras(k.Model(x, y, name="custom_layer"), folder)


def layer_zoo_image(folder):
    """Image layers tfjs-layers registers, in one functional model (the layers format's promise, tested)."""
    k = keras()
    layers = k.layers
    x = k.Input((16, 16, 3), name="image")
    h = layers.DepthwiseConv2D(3, padding="same", name="depthwise")(x)
    h = layers.ELU(name="elu")(h)
    h = layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="deconv")(h)
    h = layers.Cropping2D(2, name="crop")(h)
    h = layers.UpSampling2D(name="upsample")(h)
    h = layers.ZeroPadding2D(1, name="pad")(h)
    h = layers.ThresholdedReLU(0.1, name="threshold")(h) if hasattr(layers, "ThresholdedReLU") else h
    h = layers.GaussianNoise(0.1, name="noise")(layers.GaussianDropout(0.1, name="gdrop")(h))
    a = layers.GlobalMaxPooling2D(name="gmax")(h)
    b = layers.GlobalAveragePooling2D(name="gavg")(h)
    h = layers.Concatenate(name="cat")([layers.Maximum(name="max")([a, b]), layers.Minimum(name="min")([a, b]),
                                        layers.Average(name="avg")([a, b]), layers.Multiply(name="mul")([a, b])])
    return save_keras(k.Model(x, layers.Dense(3, activation="softmax", name="probs")(h), name="layer_zoo_image"), folder)


def layer_zoo_sequence(folder):
    """Sequence layers tfjs-layers registers: SimpleRNN, GRU(reset_after=False), TimeDistributed, Permute, ..."""
    k = keras()
    layers = k.layers
    x = k.Input((10, 4), name="series")
    masked = layers.SimpleRNN(3, name="rnn")(x)
    h = layers.GRU(6, return_sequences=True, reset_after=False, name="gru")(x)
    h = layers.TimeDistributed(layers.Dense(5, name="step"), name="per_step")(h)
    h = layers.SpatialDropout1D(0.1, name="sdrop")(layers.AlphaDropout(0.1, name="adrop")(h))
    p = layers.Permute((2, 1), name="permute")(h)
    h = layers.Flatten(name="flat")(layers.AveragePooling1D(2, name="avgpool")(p))
    r = layers.RepeatVector(2, name="repeat")(layers.Dense(3, name="squeeze")(h))
    d = layers.Dot(axes=(1, 1), name="dot")([r, r])
    h = layers.Concatenate(name="cat")([h, layers.Flatten(name="flat_dot")(d), masked])
    return save_keras(k.Model(x, layers.Dense(2, name="out")(h), name="layer_zoo_sequence"), folder)


def h5_cnn(folder):
    """A tf_keras sequential CNN saved as a legacy .h5 file."""
    k = tf_keras()
    model = k.Sequential([k.Input((16, 16, 1)), k.layers.Conv2D(4, 3, activation="relu"), k.layers.MaxPooling2D(),
                          k.layers.Flatten(), k.layers.Dense(5, activation="softmax")], name="h5_cnn")
    path = folder / "h5_cnn.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf_keras calls .h5 legacy; users still have such files
        model.save(path)
    return path


def tf_keras_saved_model(folder):
    """A tf_keras functional model saved as a SavedModel directory (model.save(dir, save_format='tf'))."""
    k = tf_keras()
    x = k.Input((8,), name="features")
    h = k.layers.Dense(8, activation="relu")(x)
    model = k.Model(x, k.layers.Dense(3, activation="softmax")(h), name="tf_keras_sm")
    path = folder / "tf_keras_sm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path, save_format="tf")
    return path


def save_module(module, folder: Path, name: str, signatures: dict) -> Path:
    """A tf.Module as a SavedModel directory with the given signatures."""
    path = folder / name
    tf.saved_model.save(module, str(path), signatures=signatures)
    return path


def two_signatures(folder):
    """A tf.Module with two signatures (an affine map and its square), exported one at a time with --signature."""
    module = tf.Module()
    module.w = tf.Variable(np.random.default_rng(SEED).normal(size=(4, 3)).astype("float32"))
    affine = tf.function(lambda x: {"y": tf.matmul(x, module.w)}, input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    square = tf.function(lambda x: {"y2": tf.square(tf.matmul(x, module.w))},
                         input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    return save_module(module, folder, "two_signatures", {"serving_default": affine, "square": square})


def int_dtypes(folder):
    """int64 ids, a bool mask and a float32 scalar (0-d) in; int32 counts and a float32 out."""
    module = tf.Module()
    module.table = tf.Variable(np.random.default_rng(SEED).normal(size=(10, 2)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.int64, name="ids"), tf.TensorSpec([None, 5], tf.bool, name="mask"),
                                  tf.TensorSpec([], tf.float32, name="scale")])
    def serve(ids, mask, scale):
        picked = tf.gather(module.table, ids) * tf.cast(mask, tf.float32)[..., None]
        return {"pooled": tf.reduce_sum(picked, axis=1) * scale, "count": tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)}
    return save_module(module, folder, "int_dtypes", {"serving_default": serve})


def string_lookup(folder):
    """String words → a StaticHashTable of ids → embedding rows: string inputs and lookup-table ops."""
    module = tf.Module()
    words = ["the", "cat", "sat", "on", "a", "mat"]
    module.table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(words, tf.range(len(words), dtype=tf.int64)), -1)
    module.rows = tf.Variable(np.random.default_rng(SEED).normal(size=(len(words) + 1, 3)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.string, name="words")])
    def serve(text):
        ids = module.table.lookup(text) + 1  # unknown words (-1) use row 0
        return {"ids": ids, "vector": tf.reduce_mean(tf.gather(module.rows, ids), axis=1)}
    return save_module(module, folder, "string_lookup", {"serving_default": serve})


def control_flow(folder):
    """tf.cond on the input's sign and a tf.while_loop whose trip count depends on the input."""
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def serve(x):
        total = tf.reduce_sum(x)
        y = tf.cond(total > 1.5, lambda: x * 2.0, lambda: x - 1.0)
        steps = tf.cast(tf.reduce_max(x) * 5, tf.int32)
        _, z = tf.while_loop(lambda i, v: i < steps, lambda i, v: (i + 1, v * 0.9 + 0.1), [0, y])
        return {"y": z}
    return save_module(tf.Module(), folder, "control_flow", {"serving_default": serve})


def complex_output(folder):
    """An FFT of the input: complex64 out, which tf.js model outputs cannot be."""
    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
    def serve(x):
        return {"spectrum": tf.signal.rfft(x)}
    return save_module(tf.Module(), folder, "complex_output", {"serving_default": serve})


# keras-hub models at tiny configs (random weights, nothing downloaded): dict inputs (token_ids, padding_mask,
# segment_ids) and dict outputs, through the .keras file (loaded with --custom-objects keras_hub) and through
# model.export() (a SavedModel whose signature the converter keys 'token_ids:0').
HUB_TEXT = {"vocabulary_size": 50, "num_layers": 1, "num_heads": 2, "hidden_dim": 8, "intermediate_dim": 16,
            "max_sequence_length": 8}
HUB_KERAS = ["--custom-objects", "keras_hub"]


def keras_hub_model(name: str, build: Callable, form: str) -> Callable[[Path], Path]:
    """A case builder: the keras-hub model build(keras_hub) saved as a .keras file or with model.export()."""
    def save(folder: Path) -> Path:
        keras()  # seeds the weights
        model = build(quiet_import("keras_hub"))
        if form == "keras":
            path = folder / f"{name}.keras"
            model.save(path)
            return path
        path = folder / name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.export(str(path), verbose=False)
        return path
    return save


HUB_MODELS = {
    "bert": ("keras-hub BertBackbone (dict in and out)", lambda hub: hub.models.BertBackbone(**HUB_TEXT)),
    "gpt2": ("keras-hub GPT2Backbone (dict in)", lambda hub: hub.models.GPT2Backbone(**HUB_TEXT)),
    "vit": ("keras-hub ViTBackbone (16x16 images)", lambda hub: hub.models.ViTBackbone(
        image_shape=(16, 16, 3), patch_size=4, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16)),
}
# BERT and GPT-2 attend over a free sequence length: the einsum rule's reshapes read it at run time. ViT needs the
# erfc rule too (exact gelu).
HUB_EXPORTS = {"bert": {"auto": []}, "gpt2": {"auto": []}, "vit": {"auto": []}}
HUB_CASES = [
    Case(f"{name}_{form}", f"{label}, {'.keras' if form == 'keras' else 'model.export()'}", keras_hub_model(name, build, form),
         {suffix: [*args, *(HUB_KERAS if form == "keras" else [])] for suffix, args in HUB_EXPORTS[name].items()})
    for name, (label, build) in HUB_MODELS.items() for form in ("keras", "export")
]

CASES = [
    Case("mobilenetv2", "CNN: MobileNetV2 (32x32, alpha 0.35)", mobilenetv2, CNN_EXPORTS),
    Case("resnet", "CNN: ResNet (6 residual blocks)", resnet, CNN_EXPORTS),
    # keras.applications as users load them: MobileNet v1's GlobalAveragePooling2D(keepdims=True) breaks its layers
    # model in tf.js (auto must ship the graph), MobileNetV3's hard-swish and SE blocks, EfficientNetB0's fused
    # residuals, ConvNeXt's grouped 7x7 convolutions (an XLA call) and exact gelu.
    Case("mobilenet_v1", "keras.applications.MobileNet (32x32, alpha 0.25)", application("mobilenet_v1", "MobileNet", alpha=0.25),
         {"auto": [], "layers": LAYERS}),
    Case("mobilenetv3small", "keras.applications.MobileNetV3Small (32x32)",
         application("mobilenetv3small", "MobileNetV3Small", include_preprocessing=False)),
    Case("efficientnetb0", "keras.applications.EfficientNetB0 (32x32)", application("efficientnetb0", "EfficientNetB0")),
    # ConvNeXt and MobileNetV3 without their 0-255 pixel scaling: squeezed to 1/255 of its range, the [0, 1)
    # goldens' spread is amplified back by the calibrated batch norms, and float32 rounding with it (MobileNetV3:
    # max |Δ| 9e-5, at the tolerance; ConvNeXt's goldens all looked alike).
    Case("convnexttiny", "keras.applications.ConvNeXtTiny (32x32)",
         application("convnexttiny", "ConvNeXtTiny", include_preprocessing=False)),
    Case("efficientnet", "CNN: EfficientNet blocks (MBConv + SE, 32x32)", efficientnet, CNN_GRAPH_EXPORTS),
    Case("lstm", "text: Embedding + LSTM", text_model("lstm", lambda k: k.layers.LSTM(8, name="lstm")), BOTH),
    Case("gru", "text: Embedding + GRU (reset_after=True)", text_model("gru", lambda k: k.layers.GRU(8, name="gru"))),
    Case("bilstm", "text: Embedding + Bidirectional LSTM",
         text_model("bilstm", lambda k: k.layers.Bidirectional(k.layers.LSTM(8, name="lstm"), name="bilstm")), BOTH),
    Case("transformer", "Transformer encoder block (SavedModel)", transformer),
    Case("conv1d", "Conv1D + PReLU + LayerNormalization", conv1d, BOTH),
    Case("multi_io", "2 inputs (int32, float32) → 2 outputs", multi_io, BOTH),
    Case("preprocessing", "uint8 → Rescaling → Normalization → CNN", preprocessing),
    Case("uint8_cnn", "uint8 → Rescaling → CNN", uint8_layers, BOTH, refused={"layers": "is uint8"}),
    Case("custom_layer", "registered custom layer (.keras)", custom_layer,
         {"auto": ["--custom-objects", "tests/suite/custom_layers.py"]}),
    Case("layer_zoo_image", "tfjs-layers image layers", layer_zoo_image, BOTH),
    Case("layer_zoo_sequence", "tfjs-layers sequence layers", layer_zoo_sequence, BOTH),
    Case("h5_cnn", "tf_keras .h5 CNN", h5_cnn, BOTH),
    Case("tf_keras_sm", "tf_keras SavedModel", tf_keras_saved_model),
    Case("two_signatures", "tf.Module, 2 signatures", two_signatures, {"auto": [], "square": ["--signature", "square"]}),
    Case("int_dtypes", "int64 + bool + scalar in, int32 out", int_dtypes),
    Case("string_lookup", "string → lookup table", string_lookup),
    Case("control_flow", "tf.cond + tf.while_loop", control_flow),
    Case("gelu_exact", "Dense with exact gelu", gelu_exact, BOTH),
    Case("complex_output", "complex64 output (rfft)", complex_output, refused={"auto": "complex64"}),
    *HUB_CASES,
]

# What tf.js 4.22 itself cannot run, by what its failure says: (name shown in the support table, test on a row).
# (The TensorList While loop, wasm's rank-1 fused bias, Einsum on wasm, exact gelu's Erfc and grouped convolutions
# are closed by the compatibility pass, export/compat/.)
LIMITS = {
    "keepdims-pooling": ("tfjs-layers: GlobalAveragePooling2D(keepdims=True) drops the kept axes (the next layer "
                         "expects ndim=4); --format auto ships the graph instead",
                         lambda row: "expected ndim=4, found ndim=2" in (row.get("error") or "")),
    "lookup-shape": ("tf.js bug: LookupTableFindV2 returns its result flattened",
                     lambda row: row.get("outputs") and row["outputs"][0]["shape"] == [16 * 4]),
}
# Rows (folder, backend) that fail for one of those reasons; every other row of the suite must pass.
EXPECTED_LIMITS = {
    ("mobilenet_v1-layers", "cpu"): "keepdims-pooling",
    ("mobilenet_v1-layers", "wasm"): "keepdims-pooling",
    ("string_lookup-auto", "cpu"): "lookup-shape",
    ("string_lookup-auto", "wasm"): "lookup-shape",
}
# LiteRT.js export folders (Case.litert) whose model.tflite the exporter refuses, by what its one-line reason says
# (metadata.json's litert.refused, shown as the litert-wasm row's UNSUPPORTED reason); every other LiteRT.js row of
# the suite must pass. A fix in the exporter or TFLite shows here as a row that no longer fails.
RNN_LOOP = "cannot lower its TensorList loop"  # Keras 3 RNN layers: a while loop over TensorLists, no builtin op
LITERT_REFUSALS = {
    "lstm-graph": RNN_LOOP,
    "gru-auto": RNN_LOOP,
    "bilstm-graph": RNN_LOOP,
    "multi_io-graph": RNN_LOOP,
    "layer_zoo_sequence-graph": RNN_LOOP,
    "int_dtypes-auto": "input 'ids' is int64",
    "string_lookup-auto": "input 'words' is string",
    "control_flow-auto": "TFLite leaves 'y' a dynamic shape",  # the tf.cond's result, even at a fixed batch
}


def known_failure(key: tuple[str, str], row: dict) -> str | None:
    """The name of what row (folder, backend) is known to fail for, if it fails for that: a tf.js limitation
    (EXPECTED_LIMITS) or the exporter's reason for writing no model.tflite (LITERT_REFUSALS); else None."""
    folder, backend = key
    if backend == "litert-wasm":
        reason = row.get("unsupported") or ""
        return reason if folder in LITERT_REFUSALS and LITERT_REFUSALS[folder] in reason else None
    limit = EXPECTED_LIMITS.get(key)
    return LIMITS[limit][0] if limit and LIMITS[limit][1](row) else None


def expected_to_fail(key: tuple[str, str]) -> bool:
    """Whether row (folder, backend) is one of the suite's named failures."""
    return key in EXPECTED_LIMITS or (key[1] == "litert-wasm" and key[0] in LITERT_REFUSALS)
