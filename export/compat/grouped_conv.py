"""Rule grouped-conv: a grouped `Conv2D` (input channels = groups × the filter's) → a depthwise or split convolution.

Pattern: a Conv2D of the frozen graph (after inline-calls) whose input has C channels while its filter
[kh, kw, C/g, O] takes C/g, g > 1 (Keras Conv2D(groups=g): ConvNeXt's 7x7 convolutions, ResNeXt).
Conditions: NHWC, padding SAME or VALID, C known. With C/g = 1 (groups = channels) it becomes one
DepthwiseConv2dNative with the filter reshaped to [kh, kw, C, O/C] (output channel i·m + j is depthwise channel
i's j-th multiplier, the grouped layout); otherwise g Conv2D over Split slices of input and filter, then ConcatV2.
Backends: all: tf.js's Conv2D kernels assume C = the filter's input channels (wrong shapes or a shape error).
Math: the same products and sums per output channel.
"""

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.export.compat import graph

NAME = "grouped-conv"
STAGE = "frozen"


def groups(node, shapes) -> int:
    """How many groups a Conv2D node convolves (1 when it is an ordinary convolution or cannot be told)."""
    if node.attr["data_format"].s not in (b"", b"NHWC") or node.attr["padding"].s not in (b"SAME", b"VALID"):
        return 1
    x, w = shapes(node.input[0]), shapes(node.input[1])
    if not x or not w or len(w) != 4 or None in (x[-1], w[2]) or x[-1] == w[2] or x[-1] % w[2]:
        return 1
    return x[-1] // w[2]


def depthwise(graph_def, nodes, node, w: list, channels: int) -> None:
    """Make node a DepthwiseConv2dNative whose filter [kh, kw, 1, O] is reshaped to [kh, kw, C, O/C] (C = groups)."""
    dtype = node.attr["T"]
    size = graph.const(graph_def, nodes, f"{node.name}/depthwise_shape", [w[0], w[1], channels, w[3] // channels], tf.int32)
    kernel = graph.add(graph_def, nodes, f"{node.name}/depthwise_filter", "Reshape", [node.input[1], size], T=dtype,
                       Tshape=graph.type_attr(tf.int32)).name
    attrs = {k: node.attr[k] for k in ("strides", "padding", "dilations", "data_format") if k in node.attr}
    graph.replace(node, "DepthwiseConv2dNative", [node.input[0], kernel], T=dtype, **attrs)


def split_conv(graph_def, nodes, node, g: int) -> None:
    """Make node the ConcatV2 of g convolutions, each over one slice of the input's and the filter's channels."""
    dtype, base = node.attr["T"], node.name
    attrs = dict(node.attr.items())
    pieces = []
    for i, ref in enumerate(node.input[:2]):  # the input's channels and the filter's output channels: axis 3 of both
        dim = graph.const(graph_def, nodes, f"{base}/split_axis_{i}", 3, tf.int32)
        pieces.append(graph.add(graph_def, nodes, f"{base}/split_{i}", "Split", [dim, ref], T=dtype,
                                num_split=tf.compat.v1.AttrValue(i=g)).name)
    convs = [graph.add(graph_def, nodes, f"{base}/group_{k}", "Conv2D", [f"{pieces[0]}:{k}", f"{pieces[1]}:{k}"], **attrs).name
             for k in range(g)]
    axis = graph.const(graph_def, nodes, f"{base}/concat_axis", 3, tf.int32)
    graph.replace(node, "ConcatV2", [*convs, axis], T=dtype, N=tf.compat.v1.AttrValue(i=g),
                  Tidx=graph.type_attr(tf.int32))


def rewrite(graph_def, shapes) -> int:
    """Rewrite every grouped Conv2D in place; return how many were rewritten."""
    nodes = graph.by_name(graph_def)
    count = 0
    for node in [n for n in graph_def.node if n.op == "Conv2D"]:
        g = groups(node, shapes)
        if g == 1:
            continue
        w = shapes(node.input[1])
        if w[2] == 1 and None not in w:
            depthwise(graph_def, nodes, node, w, g)
        else:
            split_conv(graph_def, nodes, node, g)
        count += 1
    return count
