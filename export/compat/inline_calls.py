"""Rule inline-calls: a (Stateful)PartitionedCall of a function of the graph's library → the function's body.

Pattern: a call node at the frozen graph's top level whose function TensorFlow kept as a call because it must be
XLA-compiled (`_XlaMustCompile`: Keras 3 compiles Conv2D with groups > 1 that way, since TensorFlow's CPU kernel has
no grouped convolution). Freezing inlines every other call; this one reaches the converter, which refuses it.
Conditions: the body has no nested call, no resource op and no attribute placeholder (a polymorphic function).
Backends: all (tf.js has no call op). The body is the model's own math, copied node by node; the grouped
convolution it holds is then split by the grouped-conv rule.
"""

from tensorflow.python.framework import op_def_registry

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.export.compat import graph

NAME = "inline-calls"
STAGE = "frozen"
CALLS = ("StatefulPartitionedCall", "PartitionedCall")


def output_offset(op: str, attrs, arg: str, index: int) -> int | None:
    """The flat output index of a function-body reference 'node:arg:index' (an op's outputs counted over its args)."""
    op_def = op_def_registry.get(op)
    if op_def is None:
        return None
    offset = 0
    for out in op_def.output_arg:
        if out.name == arg:
            return offset + index
        if out.number_attr:
            offset += attrs[out.number_attr].i
        elif out.type_list_attr:
            offset += len(attrs[out.type_list_attr].list.type)
        else:
            offset += 1
    return None


def inlinable(fn) -> bool:
    """Whether a function's body can be copied into the graph as it is."""
    for node in fn.node_def:
        if node.op in CALLS or "Resource" in node.op or "Variable" in node.op or node.op == "VarHandleOp":
            return False
        if any(value.placeholder for value in node.attr.values()):
            return False
    return True


def mapper(call, fn):
    """map(ref) -> the outer-graph reference for a reference inside fn's body, or None where it cannot be mapped."""
    args = {arg.name: call.input[i] for i, arg in enumerate(fn.signature.input_arg)}
    body = {node.name: node for node in fn.node_def}

    def mapped(ref: str) -> str | None:
        control, ref = ref.startswith("^"), ref.lstrip("^")
        name, *rest = ref.split(":")
        if name in args:
            return None if control else args[name]
        if control:
            return f"^{call.name}/{name}"
        node = body[name]
        index = 0 if not rest else output_offset(node.op, node.attr, rest[0], int(rest[1]))
        return None if index is None else f"{call.name}/{name}" + (f":{index}" if index else "")
    return mapped


def inline(graph_def, nodes, call, fn) -> bool:
    """Copy fn's body under call's name and turn call into an IdentityN of its results; False if it cannot be."""
    mapped = mapper(call, fn)
    copies = []
    for node in fn.node_def:
        inputs = [mapped(ref) for ref in node.input]
        if any(ref is None and not src.startswith("^") for ref, src in zip(inputs, node.input)):
            return False
        copy = tf.compat.v1.NodeDef(name=f"{call.name}/{node.name}", op=node.op, input=[r for r in inputs if r], device=node.device)
        for key, value in node.attr.items():
            copy.attr[key].CopyFrom(value)
        copies.append(copy)
    results = [mapped(fn.ret[arg.name]) for arg in fn.signature.output_arg]
    if any(r is None or r.startswith("^") for r in results) or any(c.name in nodes for c in copies):
        return False
    graph_def.node.extend(copies)
    nodes.update({c.name: c for c in graph_def.node[len(graph_def.node) - len(copies):]})
    types = tf.compat.v1.AttrValue(list=tf.compat.v1.AttrValue.ListValue(type=list(call.attr["Tout"].list.type)))
    graph.replace(call, "IdentityN", results, T=types)
    return True


def referenced(graph_def) -> set:
    """Names of the library functions some node (top level or in a function) still refers to."""
    names = set()
    for node in [*graph_def.node, *(n for fn in graph_def.library.function for n in fn.node_def)]:
        for value in node.attr.values():
            names |= {value.func.name} | {f.name for f in value.list.func}
    return names


def rewrite(graph_def, shapes) -> int:
    """Inline every call whose function can be, dropping functions no node calls any more; return how many were."""
    functions = {fn.signature.name: fn for fn in graph_def.library.function}
    nodes = graph.by_name(graph_def)
    inlined = set()
    for call in [n for n in graph_def.node if n.op in CALLS]:
        fn = functions.get(call.attr["f"].func.name)
        if fn is not None and inlinable(fn) and inline(graph_def, nodes, call, fn):
            inlined.add(fn.signature.name)
    unused = inlined - referenced(graph_def)
    kept = [fn for fn in graph_def.library.function if fn.signature.name not in unused]
    del graph_def.library.function[:]
    graph_def.library.function.extend(kept)
    return len(inlined)
