"""Which ops of a converted graph tf.js can run where: the kernels each backend registers, and fixes for missing ones."""

import base64
import functools
import json
from pathlib import Path

# tf.getKernelsForBackend for each backend of the pinned tf.js, written by `node scripts/tfjs_kernels.js`
# (tests/e2e/test_suite.py checks it still matches node_modules).
KERNELS_FILE = Path(__file__).with_name("tfjs_kernels.json")
# Where an op tf.js lacks has a stand-in the user can choose in the model.
OP_FIXES = {
    "Erfc": "exact gelu computes erfc: the erfc rule writes it as 1 - erf (--compat all, the default)",
    "Einsum": "EinsumDense and MultiHeadAttention compute einsum: the einsum rule rewrites two-operand einsums "
              "of known rank without a repeated letter (--compat all, the default); otherwise run the model on cpu or webgl",
    # Grappler inlines every function call but those marked for XLA; Keras 3's TensorFlow backend compiles grouped
    # convolutions and channels_first Conv3D with XLA (keras/src/backend/tensorflow/nn.py conv: "broken on CPU
    # without XLA"), so the call reaches the converter whole unless the inline-calls rule opens it.
    "StatefulPartitionedCall": "a function TensorFlow compiles with XLA (jit_compile=True), which the converter "
    "cannot open and the inline-calls rule (--compat all, the default) could not inline; Keras 3 compiles grouped "
    "convolutions (groups>1) and channels_first Conv3D so: split a grouped Conv2D into one Conv2D per group on "
    "channel slices joined by Concatenate (DepthwiseConv2D where groups equals the input channels), use "
    "channels_last, or drop jit_compile=True from your own tf.function",
}


# Activations every tf.js backend runs inside a fused conv/matmul (tfjs-backend-cpu's applyActivation,
# tfjs-backend-wasm's FusableActivation; tf.js lower-cases the graph's fused_ops names).
FUSABLE_ACTIVATIONS = frozenset({"relu", "relu6", "elu", "prelu", "leakyrelu", "sigmoid"})


@functools.cache
def kernels() -> dict:
    """{backend: set of kernel names} for the pinned tf.js."""
    return {b: frozenset(names) for b, names in json.loads(KERNELS_FILE.read_text())["kernels"].items()}


def model_ops(model_json: Path) -> set:
    """Every op a tf.js graph model's model.json uses, its function library (control flow bodies) included."""
    return {node["op"] for node in graph_nodes(model_json)}


def graph_nodes(model_json: Path) -> list[dict]:
    """Every node of a tf.js graph model's model.json, its function library's included."""
    topology = json.loads(Path(model_json).read_text())["modelTopology"]
    return [*topology.get("node", []), *(n for fn in topology.get("library", {}).get("function", []) for n in fn.get("nodeDef", []))]


def unfusable_activations(model_json: Path) -> set[tuple[str, str]]:
    """(op, activation) for each fused op whose activation no tf.js backend runs (e.g. oneDNN's _FusedHardSwish)."""
    found = set()
    for node in graph_nodes(model_json):
        names = [base64.b64decode(s).decode() for s in node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])]
        # The first entry is the bias, or NoOp where the converter fused a bias-free depthwise conv: no activation.
        found |= {(node["op"], name) for name in names[1 if names[:1] in (["BiasAdd"], ["NoOp"]) else 0:]
                  if name.lower() not in FUSABLE_ACTIVATIONS}
    return found


def kernel_gaps(model_json: Path) -> list[str]:
    """One line per op that some tf.js backend has no kernel for, naming the backends and a fix where one exists.

    Graph ops run through kernels of the same name (minus the converter's leading '_', as in _FusedConv2D);
    an op whose kernel one backend registers and another does not is the case that fails at run time.
    """
    found = kernels()
    every = set().union(*found.values())
    lines = []
    for op in sorted(model_ops(model_json)):
        kernel = op.lstrip("_")
        missing = [b for b, names in found.items() if kernel in every and kernel not in names]
        if missing:
            fix = OP_FIXES.get(kernel)
            lines.append(f"tf.js has no '{kernel}' kernel on {', '.join(missing)}" + (f" ({fix})" if fix else ""))
    for op, activation in sorted(unfusable_activations(model_json)):
        lines.append(f"no tf.js backend runs activation '{activation}' fused into {op} (the fused-activation rule "
                     "takes it apart: leave --compat at its default)")
    return lines


def unsupported_ops_message(ops: list[str]) -> str:
    """The converter's refusal of ops tf.js does not implement, as one line: each op's fix where one is known, and
    the advice to replace the others."""
    hints = [f"{op}: {OP_FIXES[op]}" for op in ops if op in OP_FIXES]
    plain = [op for op in ops if op not in OP_FIXES]
    if plain:
        hints.append(f"{', '.join(plain)}: replace {'it' if len(plain) == 1 else 'them'} in the model")
    return f"the graph uses ops tf.js does not implement: {', '.join(ops)} ({'; '.join(hints)})"
