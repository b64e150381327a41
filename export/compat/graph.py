"""GraphDef look-ups and node builders shared by the compatibility rules (like tensorflowjs's graph_rewrite_util)."""

import numpy as np

from tfjs_bridge.common.quiet import tf


def node_name(ref: str) -> str:
    """The node a tensor reference ('name', 'name:1' or '^name') comes from."""
    return ref.lstrip("^").split(":")[0]


def by_name(graph_def) -> dict:
    """{node name: NodeDef} of the graph's top level."""
    return {node.name: node for node in graph_def.node}


def unique(nodes: dict, base: str) -> str:
    """A node name not yet in nodes, base itself where free."""
    name, i = base, 1
    while name in nodes:
        name, i = f"{base}_{i}", i + 1
    return name


def dtype_of(node) -> int:
    """The element type (DataType enum) a node computes: its 'T' attr, else its 'dtype'."""
    return node.attr["T"].type if "T" in node.attr else node.attr["dtype"].type


def const_value(nodes: dict, ref: str) -> np.ndarray | None:
    """The value behind ref when it is a Const (through Identity nodes), else None."""
    node = nodes.get(node_name(ref))
    while node is not None and node.op == "Identity":
        node = nodes.get(node_name(node.input[0]))
    if node is None or node.op != "Const":
        return None
    return tf.make_ndarray(node.attr["value"].tensor)


def add(graph_def, nodes: dict, base: str, op: str, inputs: list[str], **attrs):
    """Append a node named like base (made unique) with inputs and attrs (AttrValue keyword arguments); return it."""
    node = graph_def.node.add(name=unique(nodes, base), op=op, input=inputs)
    for key, value in attrs.items():
        node.attr[key].CopyFrom(value)
    nodes[node.name] = node
    return node


def const(graph_def, nodes: dict, base: str, value, dtype) -> str:
    """Append a Const holding value (as dtype); return its name."""
    tensor = tf.make_tensor_proto(np.asarray(value), dtype=tf.as_dtype(dtype))
    return add(graph_def, nodes, base, "Const", [], dtype=type_attr(dtype), value=tf.compat.v1.AttrValue(tensor=tensor)).name


def type_attr(dtype) -> "tf.compat.v1.AttrValue":
    """An AttrValue holding an element type."""
    return tf.compat.v1.AttrValue(type=tf.as_dtype(dtype).as_datatype_enum)


def replace(node, op: str, inputs: list[str], **attrs) -> None:
    """Turn node into another op in place: it keeps its name, so every consumer now reads the new op."""
    node.op = op
    del node.input[:]
    node.input.extend(inputs)
    node.attr.clear()
    for key, value in attrs.items():
        node.attr[key].CopyFrom(value)


def static_shapes(graph_def) -> "callable":
    """shape(ref) -> list of ints (None where unknown) or None, read by importing the graph into a tf.Graph.

    The graph is imported on the first question (most graphs match no rule and are never imported).
    """
    imported = []

    def shape(ref: str):
        """The static shape of the tensor ref names."""
        if not imported:
            imported.append(tf.Graph())
            with imported[0].as_default():
                tf.graph_util.import_graph_def(graph_def, name="")
        name = node_name(ref) + ":" + (ref.split(":")[1] if ":" in ref else "0")
        dims = imported[0].get_tensor_by_name(name).shape
        return None if dims.rank is None else dims.as_list()
    return shape
