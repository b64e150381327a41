"""Rule fused-activation: a fused conv/matmul with an activation no tf.js backend fuses → the op + the activation.

Pattern: a _FusedConv2D, FusedDepthwiseConv2dNative or _FusedMatMul of the converted graph whose fused_ops name
an activation outside relu, relu6, elu, prelu, leakyrelu and sigmoid: TensorFlow's oneDNN remapper fuses
hard-swish (_FusedHardSwish: MobileNetV3), GeluExact/GeluApproximate and Tanh.
Conditions: none. The op keeps its BiasAdd fused (the bias is rank 1 here; fused-bias runs first otherwise) and
the activation follows as plain ops: hard-swish as x·relu6(x + 3)/6, gelu as erf or tanh form, Tanh as Tanh.
Backends: all (`Activation _fusedhardswish has not been implemented for the CPU backend`; wasm refuses it too).
Math: the activation TensorFlow fused, written out.
"""

from tfjs_bridge.export.compat import fusion, graph

NAME = "fused-activation"
STAGE = "optimized"


def activation(node) -> str | None:
    """The activation a fused node applies (None when none)."""
    ops = fusion.fused_ops(node)
    # The converter's own depthwise fusion writes ['NoOp', act] where there is no bias: NoOp is no activation.
    rest = ops[1:] if ops[:1] in (["BiasAdd"], ["NoOp"]) else ops
    return rest[0] if rest else None


def rewrite(graph_def, shapes) -> int:
    """Split every fused activation tf.js cannot run off its op; return how many were split."""
    nodes = graph.by_name(graph_def)
    found = [n for n in graph_def.node if n.op in fusion.PLAIN and (activation(n) or "relu").lower() not in fusion.FUSABLE]
    for node in found:
        fusion.unfuse(graph_def, nodes, node, keep_bias=True)
    return len(found)
