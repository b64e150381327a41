"""Rule einsum: two-operand `Einsum` → Transpose/Reshape + `BatchMatMulV2` + Reshape/Transpose.

Pattern: an Einsum node of the frozen graph with two inputs (EinsumDense, MultiHeadAttention's projections and
attention scores, e.g. 'abc,cde->abde', 'aecd,abcd->acbe').
Conditions: no ellipsis, no letter repeated within an operand, every letter of one operand only is in the output
(no summed-away axis), and at most one unknown size in each reshape (the batch axis): others are left as they are.
Backends: wasm, which registers no Einsum kernel; cpu and webgl run the rewrite as well (the same matmul), so one
folder serves every backend. Math: the same products and sums, in BatchMatMul's order of accumulation.
"""

import math

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.export.compat import graph

NAME = "einsum"
STAGE = "frozen"


def plan(equation: str, left: list, right: list) -> dict | None:
    """Axis groups of a two-operand equation (batch, left-only, contracted, right-only), or None where unsupported."""
    if "..." in equation or "->" not in equation:
        return None
    ins, out = equation.replace(" ", "").split("->")
    if ins.count(",") != 1:
        return None
    a, b = ins.split(",")
    if len(set(a)) != len(a) or len(set(b)) != len(b) or len(a) != len(left) or len(b) != len(right):
        return None
    if any(c not in out for c in set(a) ^ set(b)) or any(c not in a + b for c in out):
        return None
    size = {**dict(zip(b, right)), **{c: s for c, s in zip(a, left) if s is not None}}
    return {"a": a, "b": b, "out": out, "size": size,
            "batch": [c for c in out if c in a and c in b], "contract": [c for c in a if c in b and c not in out],
            "lfree": [c for c in a if c not in b], "rfree": [c for c in b if c not in a]}


def product(sizes: list) -> int | None:
    """The product of sizes, None if any is unknown."""
    return None if None in sizes else math.prod(sizes)


def target(sizes: list) -> list | None:
    """A Reshape target for sizes: -1 for the one unknown size, None when more than one is unknown."""
    if sizes.count(None) > 1:
        return None
    return [-1 if s is None else s for s in sizes]


def operand(graph_def, nodes, base: str, ref: str, letters: str, merged: list, p: dict, dtype) -> str:
    """ref (axes named by letters) transposed to the order of merged's letter groups, and reshaped so that each
    group is one axis (an empty group: an axis of 1); return the new ref."""
    order = [c for g in merged for c in g]
    if list(letters) != order:
        perm = graph.const(graph_def, nodes, f"{base}/perm", [letters.index(c) for c in order], tf.int32)
        ref = graph.add(graph_def, nodes, f"{base}/transpose", "Transpose", [ref, perm], T=dtype,
                        Tperm=graph.type_attr(tf.int32)).name
    if any(len(g) != 1 for g in merged):
        shape = graph.const(graph_def, nodes, f"{base}/shape", target([product([p["size"].get(c) for c in g]) for g in merged]), tf.int32)
        ref = graph.add(graph_def, nodes, f"{base}/reshape", "Reshape", [ref, shape], T=dtype,
                        Tshape=graph.type_attr(tf.int32)).name
    return ref


def feasible(p: dict) -> bool:
    """Whether each reshape the rewrite makes (both operands, the result) has at most one unknown size."""
    size = p["size"]
    batch = [size.get(c) for c in p["batch"]]
    lfree, contract, rfree = (product([size.get(c) for c in p[k]]) for k in ("lfree", "contract", "rfree"))
    unmerged = [size.get(c) for c in p["batch"] + p["lfree"] + p["rfree"]]
    return all(target(t) is not None for t in (batch + [lfree, contract], batch + [contract, rfree], unmerged))


def rewrite_one(graph_def, nodes, node, p) -> None:
    """Replace one Einsum node (keeping its name) by the matmul form of plan p."""
    dtype, base = node.attr["T"], node.name
    batch, lfree, contract, rfree = p["batch"], p["lfree"], p["contract"], p["rfree"]
    keep = [[c] for c in batch]
    x = operand(graph_def, nodes, f"{base}/a", node.input[0], p["a"], keep + [lfree, contract], p, dtype)
    y = operand(graph_def, nodes, f"{base}/b", node.input[1], p["b"], keep + [contract, rfree], p, dtype)
    false = tf.compat.v1.AttrValue(b=False)
    mm = graph.add(graph_def, nodes, f"{base}/matmul", "BatchMatMulV2", [x, y], T=dtype, adj_x=false, adj_y=false).name
    letters = batch + lfree + rfree
    if len(lfree) != 1 or len(rfree) != 1:
        shape = graph.const(graph_def, nodes, f"{base}/out_shape", target([p["size"].get(c) for c in letters]), tf.int32)
        mm = graph.add(graph_def, nodes, f"{base}/unmerge", "Reshape", [mm, shape], T=dtype, Tshape=graph.type_attr(tf.int32)).name
    perm = [letters.index(c) for c in p["out"]]
    if perm == list(range(len(perm))):
        graph.replace(node, "Identity", [mm], T=dtype)
    else:
        perm_ref = graph.const(graph_def, nodes, f"{base}/out_perm", perm, tf.int32)
        graph.replace(node, "Transpose", [mm, perm_ref], T=dtype, Tperm=graph.type_attr(tf.int32))


def rewrite(graph_def, shapes) -> int:
    """Rewrite every two-operand Einsum the plan supports in place; return how many were rewritten."""
    nodes = graph.by_name(graph_def)
    count = 0
    for node in [n for n in graph_def.node if n.op == "Einsum" and len(n.input) == 2]:
        left, right = shapes(node.input[0]), shapes(node.input[1])
        if left is None or right is None:
            continue
        p = plan(node.attr["equation"].s.decode(), left, right)
        if p is None or not feasible(p):
            continue
        rewrite_one(graph_def, nodes, node, p)
        count += 1
    return count
