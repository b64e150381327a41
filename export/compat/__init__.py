"""The compatibility pass: rewrites of the graph the tensorflowjs converter sees that keep the model's math and let
every tf.js backend run it (tf.js gaps the converter passes on: ops it lacks, kernels a backend lacks, fusions
no backend runs). Like tensorflowjs's own converters/ passes, each rule is one module, GraphDef in, GraphDef out,
whose docstring says the pattern, its conditions, which backend needs it and why.

Three stages, in this order (RULES): "keras" rules rebuild a Keras model before it is saved as the SavedModel
the converter reads (a loop exists as a loop only once saved); "frozen" rules rewrite the frozen graph before the converter's op check and
grappler passes (so the op check sees tf.js ops, and grappler folds the new constants); "optimized" rules
rewrite the converter's optimized graph (its fusions exist only there) before the weights are extracted.
A graph no rule matches is left untouched, byte for byte.
"""

import contextlib

from tfjs_bridge.common.quiet import quiet_import, tf
from tfjs_bridge.export.compat import einsum, erfc, fused_activation, fused_bias, graph, grouped_conv, inline_calls, unroll_rnn

# The visible order: inlining first (it exposes grouped convolutions), the fused-bias rule before
# fused-activation (a bias it cannot make rank 1 takes the fusion apart, activation included).
RULES = (unroll_rnn, inline_calls, grouped_conv, erfc, einsum, fused_bias, fused_activation)
NAMES = tuple(rule.NAME for rule in RULES)


def apply(graph_def, stage: str, enabled: tuple, applied: dict):
    """The stage's enabled rules applied in order to a copy of graph_def (graph_def itself when none matched).

    applied (rule name → count) gains each rule that changed something.
    """
    result = tf.compat.v1.GraphDef()
    result.CopyFrom(graph_def)
    changed = False
    for rule in RULES:
        if rule.STAGE != stage or rule.NAME not in enabled:
            continue
        count = rule.rewrite(result, graph.static_shapes(result) if stage == "frozen" else None)
        if count:
            applied[rule.NAME] = applied.get(rule.NAME, 0) + count
            changed = True
    return result if changed else graph_def


def apply_keras(model, enabled: tuple, applied: dict):
    """The "keras" stage's enabled rules applied in order to a Keras model (the model itself when none matched)."""
    for rule in RULES:
        if rule.STAGE == "keras" and rule.NAME in enabled:
            model, count = rule.rewrite(model)
            if count:
                applied[rule.NAME] = applied.get(rule.NAME, 0) + count
    return model


def as_graph(graph_def):
    """A tf.Graph holding graph_def (the converter's optimize_graph reads a tf.Graph)."""
    out = tf.Graph()
    with out.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    return out


@contextlib.contextmanager
def installed(enabled: tuple, applied: dict):
    """Run the rules inside the converter while the block runs: its optimize_graph is wrapped so that the frozen
    graph is rewritten before it and the optimized graph after it (the converter has no hook of its own)."""
    converter = quiet_import("tensorflowjs.converters.tf_saved_model_conversion_v2")
    original = converter.optimize_graph

    def optimize_graph(graph_in, signature_def, **kwargs):
        """The converter's optimize_graph between the two stages of the compatibility pass."""
        frozen = graph_in.as_graph_def()
        rewritten = apply(frozen, "frozen", enabled, applied)
        optimized = original(graph_in if rewritten is frozen else as_graph(rewritten), signature_def, **kwargs)
        return apply(optimized, "optimized", enabled, applied)

    converter.optimize_graph = optimize_graph
    try:
        yield
    finally:
        converter.optimize_graph = original
