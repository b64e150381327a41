"""Rule unroll-rnn: Keras recurrent layers over a fixed number of steps → unrolled (`unroll=True`), no While loop.

Pattern: a Keras 3 or tf_keras functional/sequential model (a .keras or .h5 file) with LSTM, GRU or SimpleRNN
layers, Bidirectional ones included, exported to the graph format. Keras runs them as a While loop over a
TensorList, which tf.js's wasm backend cannot execute (`Cannot read properties of undefined (reading 'backend')`,
a masked Bidirectional LSTM: `divide by zero`), and which stacks per-step outputs wrongly on cpu too when
return_sequences=True.
Conditions: every such layer's input has a known number of steps (Keras refuses to unroll otherwise: the model is
then left as it is). The model is rebuilt from its config with unroll=True and given the same weights.
Backends: wasm (and cpu for return_sequences); the unrolled graph runs everywhere. Math: the same cell applied
step by step, in the same order: Python's outputs (the goldens) come from the original model.
Stage: "keras" (the model, before it is saved as the SavedModel the converter reads): the loop only exists as a
loop once saved; a graph rule would have to unroll While bodies.
"""

NAME = "unroll-rnn"
STAGE = "keras"
RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN"})


def unroll_config(config) -> int:
    """Set unroll=True on every recurrent layer of a (nested) Keras config in place; return how many."""
    count = 0
    if isinstance(config, dict):
        if config.get("class_name") in RECURRENT and isinstance(config.get("config"), dict) and not config["config"].get("unroll"):
            config["config"]["unroll"] = True
            count += 1
        count += sum(unroll_config(value) for value in config.values())
    elif isinstance(config, list):
        count += sum(unroll_config(value) for value in config)
    return count


def rewrite(model):
    """The model rebuilt with its recurrent layers unrolled and the same weights, and how many; (model, 0) if none
    can be."""
    config = {"class_name": type(model).__name__, "config": model.get_config()}
    count = unroll_config(config["config"])
    if not count:
        return model, 0
    try:
        rebuilt = type(model).from_config(config["config"])
        rebuilt.set_weights(model.get_weights())
    except (ValueError, TypeError):  # a step count Keras cannot unroll (unknown), or a layer it cannot rebuild
        return model, 0
    return rebuilt, count
