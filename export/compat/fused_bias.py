"""Rule fused-bias: a fused conv/matmul whose bias is not rank 1 → a rank-1 bias, else the plain op + AddV2.

Pattern: a _FusedConv2D, FusedDepthwiseConv2dNative or _FusedMatMul of the converted graph with fused_ops
['BiasAdd', ...] whose bias is not a rank-1 constant. TensorFlow's remapper fuses any Add after a convolution
whose other side broadcasts: a residual (EfficientNet's MBConv, InceptionResNet's scaled residuals: rank 4), a
squeeze-and-excitation scale or a folded scalar (rank 0).
Conditions: a constant bias of shape [], [1] or [1, ..., C] becomes a rank-1 [C] constant (same values,
broadcast); any other bias (a tensor computed at run time) takes the op apart: the plain op, AddV2, then the
fused activation as its own op.
Backends: wasm (`FusedConv2D only supports rank-1 bias but got rank 4`); cpu and webgl broadcast any bias and
run the rewrite the same. Math: unchanged (the same sums; the add happens after the convolution either way).
"""

from tfjs_bridge.export.compat import fusion, graph

NAME = "fused-bias"
STAGE = "optimized"


def needs_rule(nodes: dict, node) -> bool:
    """Whether a fused node has a BiasAdd whose bias is not a rank-1 constant."""
    if node.op not in fusion.PLAIN or fusion.fused_ops(node)[:1] != ["BiasAdd"] or len(node.input) < 3:
        return False
    bias = graph.const_value(nodes, node.input[2])
    return bias is None or bias.ndim != 1


def rewrite(graph_def, shapes) -> int:
    """Give every fused node a rank-1 bias, or take it apart; return how many were changed."""
    nodes = graph.by_name(graph_def)
    count = 0
    for node in [n for n in graph_def.node if needs_rule(nodes, n)]:
        if not fusion.rank1_bias(graph_def, nodes, node):
            fusion.unfuse(graph_def, nodes, node, keep_bias=False)
        count += 1
    return count
