"""The converter's fused ops (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul) taken apart: shared by the
fused-bias and fused-activation rules."""

import math

import numpy as np

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.export.compat import graph
from tfjs_bridge.export.ops import FUSABLE_ACTIVATIONS

# fused op → the plain op it extends, and the attributes the plain op takes
PLAIN = {
    "_FusedConv2D": ("Conv2D", ("T", "strides", "padding", "explicit_paddings", "dilations", "data_format", "use_cudnn_on_gpu")),
    "FusedDepthwiseConv2dNative": ("DepthwiseConv2dNative", ("T", "strides", "padding", "explicit_paddings", "dilations", "data_format")),
    "_FusedMatMul": ("MatMul", ("T", "transpose_a", "transpose_b")),
}
FUSABLE = FUSABLE_ACTIVATIONS  # what every tf.js backend runs fused (export/ops.py)


def fused_ops(node) -> list[str]:
    """A fused node's fused_ops, e.g. ['BiasAdd', 'Relu6']."""
    return [s.decode() for s in node.attr["fused_ops"].list.s]


def channels(nodes: dict, node) -> int | None:
    """The output channels of a fused node, read from its constant filter (None when the filter is not constant)."""
    w = graph.const_value(nodes, node.input[1])
    if w is None:
        return None
    if node.op == "_FusedMatMul":
        return w.shape[0] if node.attr["transpose_b"].b else w.shape[1]
    return w.shape[3] * (w.shape[2] if node.op == "FusedDepthwiseConv2dNative" else 1)


def hard_swish(graph_def, nodes, name, x, dtype) -> None:
    """x · relu6(x + 3) / 6 (TensorFlow's _FusedHardSwish), its last Mul named name."""
    three = graph.const(graph_def, nodes, f"{name}/three", 3.0, dtype.type)
    sixth = graph.const(graph_def, nodes, f"{name}/sixth", 1 / 6, dtype.type)
    shifted = graph.add(graph_def, nodes, f"{name}/add", "AddV2", [x, three], T=dtype).name
    gate = graph.add(graph_def, nodes, f"{name}/relu6", "Relu6", [shifted], T=dtype).name
    scaled = graph.add(graph_def, nodes, f"{name}/scale", "Mul", [gate, sixth], T=dtype).name
    graph.add(graph_def, nodes, name, "Mul", [x, scaled], T=dtype)


def gelu(graph_def, nodes, name, x, dtype, exact: bool) -> None:
    """0.5·x·(1 + erf(x/√2)) or 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), its last Mul named name."""
    def c(tag: str, value: float) -> str:
        """A scalar constant of the activation."""
        return graph.const(graph_def, nodes, f"{name}/{tag}", value, dtype.type)

    def op(tag: str, kind: str, *inputs: str) -> str:
        """One op of the activation."""
        return graph.add(graph_def, nodes, f"{name}/{tag}", kind, list(inputs), T=dtype).name

    if exact:
        inner = op("erf", "Erf", op("scale", "Mul", x, c("rsqrt2", 1 / math.sqrt(2))))
    else:
        cube = op("cube", "Mul", op("square", "Mul", x, x), x)
        poly = op("poly", "AddV2", x, op("cubic", "Mul", cube, c("k", 0.044715)))
        inner = op("tanh", "Tanh", op("scale", "Mul", poly, c("s", math.sqrt(2 / math.pi))))
    half = op("half", "Mul", x, c("half_const", 0.5))
    graph.add(graph_def, nodes, name, "Mul", [half, op("one_plus", "AddV2", inner, c("one", 1.0))], T=dtype)


def activate(graph_def, nodes, name: str, x: str, fused, activation: str, alpha: str | None) -> None:
    """Append activation(x) as plain ops, the last one named name."""
    dtype = fused.attr["T"]
    if activation == "_FusedHardSwish":
        hard_swish(graph_def, nodes, name, x, dtype)
    elif activation in ("GeluExact", "GeluApproximate"):
        gelu(graph_def, nodes, name, x, dtype, activation == "GeluExact")
    elif activation == "LeakyRelu":
        graph.add(graph_def, nodes, name, "LeakyRelu", [x], T=dtype, alpha=fused.attr["leakyrelu_alpha"])
    elif activation == "Prelu":
        graph.add(graph_def, nodes, name, "Prelu", [x, alpha], T=dtype)
    else:  # Relu, Relu6, Elu, Sigmoid, Tanh: TensorFlow ops of the same name
        graph.add(graph_def, nodes, name, activation, [x], T=dtype)


def unfuse(graph_def, nodes, node, keep_bias: bool) -> None:
    """Take a fused node apart, its name kept by the last op: fused bias (or plain op + AddV2), then the activation."""
    node, original = tf.compat.v1.NodeDef(), node
    node.CopyFrom(original)  # the node itself leaves the graph: read it from a copy
    ops, base = fused_ops(node), node.name
    has_bias = bool(ops) and ops[0] == "BiasAdd"
    activation = ops[1] if has_bias and len(ops) > 1 else (ops[0] if ops and not has_bias else None)
    x, w, args = node.input[0], node.input[1], [r for r in node.input[2:] if not r.startswith("^")]
    controls = [r for r in node.input if r.startswith("^")]
    alpha = args[1] if has_bias and activation == "Prelu" else (args[0] if activation == "Prelu" else None)
    plain, keys = PLAIN[node.op]
    graph_def.node.remove(original)
    del nodes[base]
    if keep_bias and has_bias:
        fused = graph.add(graph_def, nodes, f"{base}/biased", node.op, [x, w, args[0], *controls],
                          **{k: v for k, v in node.attr.items() if k not in ("fused_ops", "num_args", "leakyrelu_alpha")})
        fused.attr["fused_ops"].list.s[:] = [b"BiasAdd"]
        fused.attr["num_args"].i = 1
        out = fused.name
    else:
        out = graph.add(graph_def, nodes, f"{base}/plain", plain, [x, w, *controls], **{k: node.attr[k] for k in keys if k in node.attr}).name
        if has_bias:
            out = graph.add(graph_def, nodes, base if activation is None else f"{base}/bias", "AddV2", [out, args[0]], T=node.attr["T"]).name
    if activation is not None:
        activate(graph_def, nodes, base, out, node, activation, alpha)
    elif out != base:
        graph.add(graph_def, nodes, base, "Identity", [out], T=node.attr["T"])


def rank1_bias(graph_def, nodes, node) -> bool:
    """Give node a rank-1 constant bias where its constant bias broadcasts from one (shape [], [1] or [1, ..., C])."""
    bias, width = graph.const_value(nodes, node.input[2]), channels(nodes, node)
    if bias is None or width is None or bias.ndim == 1 or any(d != 1 for d in bias.shape[:-1]) or bias.size not in (1, width):
        return False
    flat = np.broadcast_to(bias.reshape(-1), (width,)).copy()
    node.input[2] = graph.const(graph_def, nodes, f"{node.name}/bias", flat, tf.as_dtype(node.attr["T"].type))
    return True
