"""Rule erfc: `Erfc(x)` → `1 − Erf(x)`.

Pattern: any Erfc node of the frozen graph (TensorFlow's exact gelu, x·erfc(−x/√2)/2: ConvNeXt, ViT, BERT).
Conditions: none; it runs before the converter's op check, which refuses Erfc.
Backends: all. tf.js implements Erf on cpu, wasm and webgl but has no Erfc op at all.
Error: 1 − erf(x) is exact to float32 rounding of erf (|error| ≤ ~6e-8, one ulp of 1) wherever erfc(x) is not tiny.
For x above ~3.9, erfc(x) < 6e-8 and 1 − erf(x) rounds to 0: the relative error of erfc is total there, but in
gelu the term is multiplied by x/2 with x < −5.5, where gelu itself is below 1e-7 in magnitude: its absolute error
stays under ~3e-7 (measured in tests/export/test_compat_rules.py), far inside the float32 tolerance 1e-4.
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
