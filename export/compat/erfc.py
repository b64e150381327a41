"""Rule erfc: `Erfc(x)` → `1 − Erf(x)`.

Pattern: any Erfc node of the frozen graph (TensorFlow's exact gelu, x·erfc(−x/√2)/2: ConvNeXt, ViT, BERT).
Conditions: none; it runs before the converter's op check, which refuses Erfc.
Backends: all. tf.js implements Erf on cpu, wasm and webgl but has no Erfc op at all.
Error: 1 − erf(x) is erf's float32 rounding away from erfc(x) (one ulp of 1, ~6e-8) wherever erfc is not tiny.
For x above ~3.9, erfc(x) < 6e-8 and 1 − erf(x) is 0: erfc's relative error is total there. In gelu the term is
multiplied by x/2 with x < −5.2, where |gelu| < 2e-7: measured over [−12, 12] (tests/export/test_compat_rules.py),
gelu's absolute error is at most 8.5e-7 for x < 0 and below 1e-6 × max(1, |gelu|) everywhere, 100 times inside
the float32 parity tolerance 1e-4 × max(1, |out|).
"""

from tfjs_bridge.export.compat import graph

NAME = "erfc"
STAGE = "frozen"


def rewrite(graph_def, shapes) -> int:
    """Replace every Erfc by Sub(1, Erf(x)) in place; return how many were replaced."""
    nodes = graph.by_name(graph_def)
    count = 0
    for node in [n for n in graph_def.node if n.op == "Erfc"]:
        dtype = node.attr["T"]
        erf = graph.add(graph_def, nodes, f"{node.name}/erf", "Erf", [node.input[0]], T=dtype)
        one = graph.const(graph_def, nodes, f"{node.name}/one", 1, dtype.type)
        graph.replace(node, "Sub", [one, erf.name], T=dtype)
        count += 1
    return count
