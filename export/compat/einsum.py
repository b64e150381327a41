"""Rule einsum: two-operand `Einsum` → Transpose/Reshape + `BatchMatMulV2` + Reshape/Transpose.

Pattern: an Einsum node of the frozen graph with two inputs (EinsumDense, MultiHeadAttention's projections and
attention scores, e.g. 'abc,cde->abde', 'aecd,abcd->acbe').
Conditions: both operands of known rank, no letter repeated within an operand or the output; an ellipsis is spelt
out in letters of its own, an axis of one operand that the output lacks is summed away first (tf.js's own cpu
einsum refuses '...' and gets that case wrong: "Operands could not be broadcast together"). A reshape with at most one unknown size (the batch axis)
gets a constant target; one with more (attention over a free sequence length: batch and steps both unknown) gets
its target computed at run time from the operands' shapes (Shape, GatherV2, Prod, ConcatV2: kernels every tf.js
backend has), so BERT- and GPT-2-style models keep their free sequence length.
Backends: wasm, which registers no Einsum kernel; cpu and webgl run the rewrite as well (the same matmul), so one
folder serves every backend. Math: the same products and sums, in BatchMatMul's order of accumulation.
"""

import math
import string

from tfjs_bridge.common.quiet import tf
from tfjs_bridge.export.compat import graph

NAME = "einsum"
STAGE = "frozen"


def expand_ellipsis(ins: list, out: str, ranks: list) -> tuple[list, str] | None:
    """The operands' and output's letters with each '...' spelt out in letters the equation does not use (aligned
    from the right, as einsum broadcasts them), or None where the ranks do not fit."""
    if "..." not in "".join(ins) + out:
        return ins, out
    spare = [c for c in string.ascii_letters if c not in "".join(ins) + out]
    extra = [rank - len(letters.replace("...", "")) for letters, rank in zip(ins, ranks)]
    if any(n < 0 or (n and "..." not in letters) for n, letters in zip(extra, ins)) or "..." in out and "..." not in "".join(ins):
        return None
    width = max(n if "..." in letters else 0 for n, letters in zip(extra, ins))
    if width > len(spare) or "..." not in out and width:  # ellipsis axes summed away: left to TensorFlow's einsum
        return None
    axes = "".join(spare[:width])
    return [letters.replace("...", axes[width - n:]) for letters, n in zip(ins, extra)], out.replace("...", axes)


def plan(equation: str, left: list, right: list) -> dict | None:
    """Axis groups of a two-operand equation (batch, left-only, contracted, right-only, and the axes summed away
    in one operand before the product), or None where unsupported."""
    if "->" not in equation:
        return None
    ins, out = equation.replace(" ", "").split("->")
    if ins.count(",") != 1:
        return None
    expanded = expand_ellipsis(ins.split(","), out, [len(left), len(right)])
    if expanded is None:
        return None
    (a, b), out = expanded
    if len(set(a)) != len(a) or len(set(b)) != len(b) or len(a) != len(left) or len(b) != len(right):
        return None
    if any(c not in a + b for c in out) or len(set(out)) != len(out):
        return None
    known = {**{c: s for c, s in zip(b, right) if s is not None}, **{c: s for c, s in zip(a, left) if s is not None}}
    if any(c in b and None not in (s, right[b.index(c)]) and right[b.index(c)] != s for c, s in zip(a, left)):
        return None  # sizes that broadcast (1 against n): BatchMatMul would, the reshapes would not
    summed = {"a": [c for c in a if c not in b and c not in out], "b": [c for c in b if c not in a and c not in out]}
    ra, rb = ("".join(c for c in x if c not in summed[k]) for x, k in ((a, "a"), (b, "b")))
    return {"a": ra, "b": rb, "orig": {"a": a, "b": b}, "summed": summed, "out": out, "size": known,
            "batch": [c for c in out if c in ra and c in rb], "contract": [c for c in ra if c in rb and c not in out],
            "lfree": [c for c in ra if c not in rb], "rfree": [c for c in rb if c not in ra]}


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
        shape = reshape_target(graph_def, nodes, f"{base}/shape", merged, p)
        ref = graph.add(graph_def, nodes, f"{base}/reshape", "Reshape", [ref, shape], T=dtype,
                        Tshape=graph.type_attr(tf.int32)).name
    return ref


def reshape_target(graph_def, nodes, base: str, groups: list, p: dict) -> str:
    """The Reshape target that makes each group of letters one axis (their sizes' product): a Const where at most
    one size is unknown, else an int32 vector computed at run time from the operands' shapes; return its name."""
    sizes = [product([p["size"].get(c) for c in g]) for g in groups]
    static = target(sizes)
    if static is not None:
        return graph.const(graph_def, nodes, base, static, tf.int32)
    pieces = [graph.const(graph_def, nodes, f"{base}/size{i}", [size], tf.int32) if size is not None
              else run_time_size(graph_def, nodes, f"{base}/size{i}", group, p) for i, (group, size) in enumerate(zip(groups, sizes))]
    return graph.add(graph_def, nodes, base, "ConcatV2", [*pieces, zero(graph_def, nodes, p)], N=tf.compat.v1.AttrValue(i=len(pieces)),
                     T=graph.type_attr(tf.int32), Tidx=graph.type_attr(tf.int32)).name


def run_time_size(graph_def, nodes, base: str, group: list, p: dict) -> str:
    """A [1] int32 tensor: the product of the group's sizes, read from the shapes of the operands holding them."""
    factors = []
    for side, chosen in (("a", [c for c in group if c in p["a"]]), ("b", [c for c in group if c not in p["a"]])):
        if not chosen:
            continue
        index = graph.const(graph_def, nodes, f"{base}/{side}_axes", [p["orig"][side].index(c) for c in chosen], tf.int32)
        dims = graph.add(graph_def, nodes, f"{base}/{side}_dims", "GatherV2", [operand_shape(graph_def, nodes, side, p), index, zero(graph_def, nodes, p)],
                         Tparams=graph.type_attr(tf.int32), Tindices=graph.type_attr(tf.int32),
                         Taxis=graph.type_attr(tf.int32), batch_dims=tf.compat.v1.AttrValue(i=0)).name
        if len(chosen) > 1:
            dims = graph.add(graph_def, nodes, f"{base}/{side}_prod", "Prod", [dims, zero(graph_def, nodes, p)], T=graph.type_attr(tf.int32),
                             Tidx=graph.type_attr(tf.int32), keep_dims=tf.compat.v1.AttrValue(b=True)).name
        factors.append(dims)
    if len(factors) == 1:
        return factors[0]
    return graph.add(graph_def, nodes, f"{base}/mul", "Mul", factors, T=graph.type_attr(tf.int32)).name


def zero(graph_def, nodes, p: dict) -> str:
    """An int32 0 (the axis of GatherV2, Prod and ConcatV2), one per Einsum, made when first needed."""
    if "zero" not in p["shape"]:
        p["shape"]["zero"] = graph.const(graph_def, nodes, f"{p['base']}/zero", 0, tf.int32)
    return p["shape"]["zero"]


def operand_shape(graph_def, nodes, side: str, p: dict) -> str:
    """The run-time shape (int32) of operand side ('a' or 'b'), one Shape node per operand and Einsum."""
    if side not in p["shape"]:
        p["shape"][side] = graph.add(graph_def, nodes, f"{p['base']}/{side}/run_shape", "Shape", [p["ref"][side]],
                                     T=p["dtype"], out_type=graph.type_attr(tf.int32)).name
    return p["shape"][side]


def summed(graph_def, nodes, side: str, p: dict) -> str:
    """Operand side with the axes only it has and the output lacks summed away (Sum); the operand where none."""
    ref, letters = p["ref"][side], p["orig"][side]
    if not p["summed"][side]:
        return ref
    axes = graph.const(graph_def, nodes, f"{p['base']}/{side}/sum_axes", [letters.index(c) for c in p["summed"][side]], tf.int32)
    return graph.add(graph_def, nodes, f"{p['base']}/{side}/sum", "Sum", [ref, axes], T=p["dtype"],
                     Tidx=graph.type_attr(tf.int32), keep_dims=tf.compat.v1.AttrValue(b=False)).name


def rewrite_one(graph_def, nodes, node, p) -> None:
    """Replace one Einsum node (keeping its name) by the matmul form of plan p."""
    dtype, base = node.attr["T"], node.name
    p = {**p, "base": base, "dtype": dtype, "ref": {"a": node.input[0], "b": node.input[1]}, "shape": {}}
    batch, lfree, contract, rfree = p["batch"], p["lfree"], p["contract"], p["rfree"]
    keep = [[c] for c in batch]
    x = operand(graph_def, nodes, f"{base}/a", summed(graph_def, nodes, "a", p), p["a"], keep + [lfree, contract], p, dtype)
    y = operand(graph_def, nodes, f"{base}/b", summed(graph_def, nodes, "b", p), p["b"], keep + [contract, rfree], p, dtype)
    false = tf.compat.v1.AttrValue(b=False)
    mm = graph.add(graph_def, nodes, f"{base}/matmul", "BatchMatMulV2", [x, y], T=dtype, adj_x=false, adj_y=false).name
    letters = batch + lfree + rfree
    if len(lfree) != 1 or len(rfree) != 1:
        shape = reshape_target(graph_def, nodes, f"{base}/out_shape", [[c] for c in letters], p)
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
        if p is None:
            continue
        rewrite_one(graph_def, nodes, node, p)
        count += 1
    return count
