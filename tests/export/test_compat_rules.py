"""The compatibility pass (export/compat/), rule by rule: the smallest model with each pattern fails in tf.js (or
is refused by the converter) without its rule and passes on cpu and wasm with it, within the float32 tolerance;
a model no rule matches is exported exactly as without the pass."""

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.support.helpers import read_json, verify_json
from tfjs_bridge.common.paths import CHECKOUT
from tfjs_bridge.common.quiet import quiet_import, tf
from tfjs_bridge.export import compat
from tfjs_bridge.export.cli import RULE_NAMES
from tfjs_bridge.export.compat import einsum, fusion, graph
from tfjs_bridge.export.convert import ExportOptions, export_source
from tfjs_bridge.export.errors import ExportError
from tfjs_bridge.export.ops import kernel_gaps
from tfjs_bridge.export.sources import from_path

BACKENDS = ("cpu", "wasm")


def keras():
    """Keras 3, seeded."""
    module = quiet_import("keras")
    module.utils.set_random_seed(0)
    return module


def with_biases(model):
    """Non-zero biases (zeros would be folded away, and with them the fused BiasAdd the rules are about)."""
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 0.3, layer.bias.shape).astype("float32"))
    return model


def gelu_model(k):
    """Exact gelu (Erfc)."""
    x = k.Input((6,), name="x")
    return k.Model(x, k.layers.Dense(4, activation="gelu", name="dense")(x), name="gelu")


def grouped_model(k):
    """Conv2D with groups=2 (split convolutions) and groups=channels (depthwise)."""
    x = k.Input((6, 6, 4), name="image")
    h = k.layers.Conv2D(6, 3, groups=2, padding="same", name="grouped")(x)
    h = k.layers.Conv2D(6, 3, groups=6, name="per_channel")(h)
    return k.Model(x, k.layers.GlobalAveragePooling2D(name="pool")(h), name="grouped")


def attention_model(k):
    """MultiHeadAttention: einsum projections and attention scores."""
    x = k.Input((5, 8), name="seq")
    return k.Model(x, k.layers.MultiHeadAttention(2, 4, name="mha")(x, x), name="attention")


def residual_model(k):
    """Bias-free convolutions plus their input (rank-4 'bias') and plus a scalar (rank 0): TensorFlow fuses both
    adds into the convolution as its BiasAdd (EfficientNet's residuals, InceptionResNet's scaled ones)."""
    x = k.Input((6, 6, 4), name="image")
    h = k.layers.Add(name="add")([k.layers.Conv2D(4, 1, use_bias=False, name="conv")(x), x])
    h = k.layers.Rescaling(1.0, offset=0.5, name="shift")(k.layers.Conv2D(4, 1, use_bias=False, name="conv2")(h))
    return k.Model(x, k.layers.GlobalAveragePooling2D(name="pool")(h), name="residual")


def hard_swish_model(k):
    """Conv2D with a bias, then hard-swish (MobileNetV3's activation)."""
    x = k.Input((6, 6, 3), name="image")
    h = k.layers.Conv2D(4, 3, activation="hard_swish", name="conv")(x)
    return with_biases(k.Model(x, k.layers.GlobalAveragePooling2D(name="pool")(h), name="hard_swish"))


def lstm_model(k):
    """Embedding + LSTM over 6 token ids: Keras's While loop over a TensorList."""
    tokens = k.Input((6,), dtype="int32", name="tokens")
    h = k.layers.LSTM(4, name="lstm")(k.layers.Embedding(10, 3, name="embedding")(tokens))
    return k.Model(tokens, k.layers.Dense(2, name="out")(h), name="lstm")


def plain_model(k):
    """Dense + relu: no rule matches."""
    x = k.Input((5,), name="x")
    return with_biases(k.Model(x, k.layers.Dense(3, name="out")(k.layers.Dense(4, activation="relu", name="h")(x)), name="plain"))


def onednn_hard_swish(graph_def, shapes) -> int:
    """What TensorFlow's oneDNN remapper does on CPUs where it fuses hard-swish (not this machine's build):
    _FusedConv2D [BiasAdd] followed by x·relu6(x + 3)/6 → _FusedConv2D [BiasAdd, _FusedHardSwish]."""
    conv = next(n for n in graph_def.node if n.op == "_FusedConv2D")
    conv.attr["fused_ops"].list.s[:] = [b"BiasAdd", b"_FusedHardSwish"]
    pool = next(n for n in graph_def.node if n.op == "Mean")
    pool.input[0] = conv.name
    return 1


ONEDNN = SimpleNamespace(NAME="onednn-hard-swish", STAGE="optimized", rewrite=onednn_hard_swish)
# case → (model builder, the rule that must apply, how tf.js fails without it: (backend, error text) or a refusal)
CASES = {
    "gelu": (gelu_model, "erfc", ("refused", "Erfc")),
    "grouped": (grouped_model, "grouped-conv", ("refused", "StatefulPartitionedCall")),
    "attention": (attention_model, "einsum", ("wasm", "Kernel 'Einsum' not registered for backend 'wasm'")),
    "residual": (residual_model, "fused-bias", ("wasm", "FusedConv2D only supports rank-1 bias but got rank 4")),
    "hard_swish": (hard_swish_model, "fused-activation", ("cpu", "Activation _fusedhardswish has not been implemented")),
    "lstm": (lstm_model, "unroll-rnn", ("wasm", "reading 'backend'")),
}


def export(source, out: Path, folder: str, rules: tuple) -> dict | str:
    """The folder's metadata, or the one-line refusal."""
    try:
        return export_source(source, out, ExportOptions("graph", folder=folder, rules=rules))[0]
    except ExportError as err:
        return str(err)


@pytest.fixture(scope="module")
def exports(tmp_path_factory, monkeypatch_module):
    """Every case exported without the pass and with it, then one Node run: (metadata or refusal, rows) by folder."""
    monkeypatch_module.setattr(compat, "RULES", (ONEDNN, *compat.RULES))
    root = tmp_path_factory.mktemp("compat")
    out, results = root / "models", {}
    for name, (build, _, _) in {**CASES, "plain": (plain_model, None, None)}.items():
        path = root / f"{name}.keras"
        build(keras()).save(path)
        source = from_path(path)
        extra = ("onednn-hard-swish",) if name == "hard_swish" else ()
        results[f"{name}-without"] = export(source, out, f"{name}-without", extra)
        results[f"{name}-with"] = export(source, out, f"{name}-with", (*extra, *compat.NAMES))
    _, rows = verify_json(out)
    return results, rows, out


@pytest.fixture(scope="module")
def monkeypatch_module():
    """A monkeypatch for a module-scoped fixture."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.slow
def test_rule_turns_a_failing_model_into_a_passing_one(exports, case):
    results, rows, _ = exports
    _, rule, (where, error) = CASES[case]
    without, with_rule = results[f"{case}-without"], results[f"{case}-with"]
    if where == "refused":  # without the rule the converter itself refuses the graph
        assert isinstance(without, str) and error in without, without
    else:
        row = rows[(f"{case}-without", where)]
        assert not row["pass"] and error in (row.get("error") or ""), row
    assert isinstance(with_rule, dict), with_rule
    assert rule in {r["rule"] for r in with_rule["compat"]}, with_rule["compat"]
    for backend in BACKENDS:
        row = rows[(f"{case}-with", backend)]
        assert row["pass"] and row["maxAbsDiff"] <= row["tolerance"], (backend, row)


@pytest.mark.slow
def test_model_no_rule_matches_is_exported_as_without_the_pass(exports):
    results, rows, out = exports
    assert "compat" not in results["plain-with"] and "compat" not in results["plain-without"]
    # model.json equal as JSON: the converter writes a node's attributes (a protobuf map) in no fixed order, so two
    # exports of one model differ in bytes with or without the pass; the weight shards are equal byte for byte.
    assert read_json(out / "plain-with" / "model.json") == read_json(out / "plain-without" / "model.json")
    for rel in (f["path"] for f in results["plain-with"]["files"]):
        assert (out / "plain-with" / rel).read_bytes() == (out / "plain-without" / rel).read_bytes(), rel
    assert all(rows[("plain-with", b)]["pass"] for b in BACKENDS)


def test_command_line_knows_every_rule_in_order():
    assert RULE_NAMES == compat.NAMES


def test_one_minus_erf_error_bound():
    """Where erfc(x) < 6e-8 (x > ~3.9; x ≥ 4 in TensorFlow's float32 erf), 1 − erf(x) is 0: erfc's relative error is total there. In exact
    gelu, x·erfc(−x/√2)/2, that happens for x < −5.2, where |gelu| < 2e-7: measured on 200,001 points over
    [−12, 12], the rule's absolute error is at most 8.5e-7 for x < 0 (TensorFlow's own erfc: 3.6e-8), 1.1e-7 below
    x = −5.5, and below 1e-6 × max(1, |gelu|) everywhere: 100 times inside the parity tolerance 1e-4 × max(1, |out|)."""
    x = np.linspace(-12, 12, 200001).astype(np.float32)
    erf = tf.math.erf(-x / np.float32(math.sqrt(2))).numpy()
    gelu_rule = x * (np.float32(1) - erf) / np.float32(2)
    exact = np.array([float(v) * math.erfc(-float(v) / math.sqrt(2)) / 2 for v in x.astype(np.float64)])
    absolute = np.abs(gelu_rule.astype(np.float64) - exact)
    assert (absolute / np.maximum(1, np.abs(exact))).max() < 1e-6
    assert absolute[x < 0].max() < 1e-6 and absolute[x < -5.5].max() < 2e-7
    large = np.linspace(4, 10, 1001).astype(np.float32)  # erfc itself: no relative precision left
    assert np.all(np.float32(1) - tf.math.erf(large).numpy() == 0)


def concrete_shapes(equation: str, a: list, b: list) -> list:
    """Sizes for the operands' unknown axes: each letter its own (3, 6, 7, 9), so a mixed-up axis shows (the
    ellipsis cases' unknown axes are all a leading 3)."""
    if "..." in equation:
        return [[3 if d is None else d for d in s] for s in (a, b)]
    operands = equation.split("->")[0].split(",")
    known = {c: d for letters, shape in zip(operands, (a, b)) for c, d in zip(letters, shape) if d is not None}
    free = dict(zip(sorted(set("".join(operands)) - set(known)), (3, 6, 7, 9)))
    return [[{**free, **known}[c] for c in letters] for letters in operands]


@pytest.mark.parametrize("equation,a,b", [
    ("abc,cde->abde", [None, 5, 8], [8, 2, 4]),     # EinsumDense: query/key/value projections
    ("aecd,abcd->acbe", [None, 5, 2, 4], [None, 5, 2, 4]),  # attention scores
    ("acbe,aecd->abcd", [None, 2, 5, 5], [None, 5, 2, 4]),  # attention-weighted values
    ("abcd,cde->abe", [None, 5, 2, 4], [2, 4, 8]),  # output projection
    ("ij,jk->ik", [3, 4], [4, 2]),
    ("ab,c->abc", [None, 3], [4]),                  # an outer product: nothing contracted
    ("bij,bjk->bki", [None, 3, 4], [None, 4, 2]),   # batch axes on both sides, result transposed
    # A free sequence length too (BERT, GPT-2): reshape targets computed at run time from the operands' shapes.
    ("abc,cde->abde", [None, None, 8], [8, 2, 4]),
    ("aecd,abcd->acbe", [None, None, 2, 4], [None, None, 2, 4]),
    ("acbe,aecd->abcd", [None, 2, None, None], [None, None, 2, 4]),
    ("abcd,cde->abe", [None, None, 2, 4], [2, 4, 8]),
    ("abc,dc->adb", [None, None, 4], [None, 4]),      # letters of both operands unknown in one result
    # Ellipses spelt out (equal and unequal ranks), axes summed away first: tf.js's cpu einsum refuses the first and
    # gets the second wrong.
    ("...ij,...jk->...ik", [None, 3, 4], [None, 4, 2]),
    ("...ij,jk->...ik", [None, 2, 3, 4], [4, 5]),
    ("b...d,dn->b...n", [None, 3, 4], [4, 6]),
    ("abc,cd->ad", [None, 3, 4], [4, 5]),
    ("abc,dce->ae", [None, 3, 4], [2, 4, 6]),
])
def test_einsum_rewrite_computes_what_einsum_computes(equation, a, b):
    rng = np.random.default_rng(0)
    values = [rng.normal(size=shape).astype(np.float32) for shape in concrete_shapes(equation, a, b)]
    g = tf.Graph()
    with g.as_default():
        xa, xb = (tf.compat.v1.placeholder(tf.float32, s, name=n) for s, n in ((a, "a"), (b, "b")))
        tf.identity(tf.einsum(equation, xa, xb), name="out")
    graph_def = g.as_graph_def()
    assert einsum.rewrite(graph_def, graph.static_shapes(graph_def)) == 1
    assert "Einsum" not in {n.op for n in graph_def.node}
    feeds = lambda: {"a:0": tf.constant(values[0]), "b:0": tf.constant(values[1])}  # noqa: E731
    result = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, feeds(), ["out:0"], name=""), [])()
    np.testing.assert_allclose(result[0].numpy(), np.einsum(equation, *values), rtol=1e-5, atol=1e-5)


def test_fusable_activations_are_the_backends_own():
    """The list the rule and the export-time check use, read from the pinned backends' sources."""
    cpu = (CHECKOUT / "node_modules/@tensorflow/tfjs-backend-cpu/dist/utils/fused_utils.js").read_text()
    wasm = (CHECKOUT / "node_modules/@tensorflow/tfjs-backend-wasm/dist/kernels/types.js").read_text()
    for name in fusion.FUSABLE:
        assert f"activation === '{name}'" in cpu and f'FusableActivation["{name}"]' in wasm, name


@pytest.mark.slow
def test_export_time_check_sees_fused_activations(exports):
    _, _, out = exports
    gaps = kernel_gaps(out / "hard_swish-without" / "model.json")
    assert any("'_FusedHardSwish' fused into _FusedConv2D" in line for line in gaps), gaps
    assert not kernel_gaps(out / "hard_swish-with" / "model.json")
    assert kernel_gaps(out / "attention-without" / "model.json") == [
        "tf.js has no 'Einsum' kernel on wasm (EinsumDense and MultiHeadAttention compute einsum: the einsum rule "
        "rewrites two-operand einsums of known rank without a repeated letter (--compat all, the default); otherwise "
        "run the model on cpu or webgl)"]
    assert not kernel_gaps(out / "attention-with" / "model.json")


ACTIVATIONS = {
    "GeluExact": lambda z: tf.nn.gelu(z, approximate=False), "GeluApproximate": lambda z: tf.nn.gelu(z, approximate=True),
    "Tanh": tf.tanh, "_FusedHardSwish": lambda z: z * tf.nn.relu6(z + 3) / 6, "LeakyRelu": lambda z: tf.nn.leaky_relu(z, 0.2),
}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("keep_bias", [True, False])
def test_unfused_activation_computes_what_was_fused(activation, keep_bias):
    """A _FusedMatMul [BiasAdd, activation] taken apart (with its bias kept fused, or as MatMul + AddV2) computes
    the activation TensorFlow names (what oneDNN's remapper fuses: hard-swish, both gelus, tanh, leaky relu)."""
    rng = np.random.default_rng(0)
    x, w, b = (rng.normal(size=s).astype(np.float32) * 3 for s in ((4, 3), (3, 5), (5,)))
    g = tf.Graph()
    with g.as_default():
        tf.identity(tf.nn.bias_add(tf.matmul(tf.compat.v1.placeholder(tf.float32, [None, 3], name="x"), w), b), name="out")
    graph_def = g.as_graph_def()
    nodes = graph.by_name(graph_def)
    matmul, bias_add = (next(n for n in graph_def.node if n.op == op) for op in ("MatMul", "BiasAdd"))
    fused = graph.add(graph_def, nodes, "fused", "_FusedMatMul", [*matmul.input, bias_add.input[1]], **dict(matmul.attr.items()))
    fused.attr["fused_ops"].list.s[:] = [b"BiasAdd", activation.encode()]
    fused.attr["num_args"].i, fused.attr["leakyrelu_alpha"].f = 1, 0.2
    nodes["out"].input[0] = "fused"
    fusion.unfuse(graph_def, nodes, fused, keep_bias=keep_bias)
    if keep_bias:
        assert fusion.fused_ops(nodes["fused/biased"]) == ["BiasAdd"]
    else:
        assert "_FusedMatMul" not in {n.op for n in graph_def.node}
    if not keep_bias:  # TensorFlow's CPU kernels run a plain MatMul + AddV2 graph (a fused one needs the remapper)
        run = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, {"x:0": tf.constant(x)}, ["out:0"], name=""), [])
        np.testing.assert_allclose(run()[0].numpy(), ACTIVATIONS[activation](x @ w + b).numpy(), rtol=1e-5, atol=2e-6)


def test_a_depthwise_conv_without_bias_keeps_its_fusable_activation():
    # The converter fuses a bias-free depthwise conv as fused_ops ['NoOp', 'Elu']: NoOp is no activation, and Elu
    # runs fused on every backend, so fused-activation must leave it alone (splitting it broke the suite's
    # layer_zoo_image graph: "slice index 0 of dimension 0 out of bounds" on cpu and wasm).
    from tensorflow.core.framework import node_def_pb2

    from tfjs_bridge.export.compat import fused_activation

    node = node_def_pb2.NodeDef(name="dw", op="FusedDepthwiseConv2dNative")
    node.attr["fused_ops"].list.s.extend([b"NoOp", b"Elu"])
    assert fused_activation.activation(node) == "Elu"
    node.attr["fused_ops"].list.s[:] = [b"BiasAdd", b"_FusedHardSwish"]
    assert fused_activation.activation(node) == "_FusedHardSwish"
