"""The harness's rows as Python reads them (verify/js/parity.js writes them): why one failed, in one line."""


def why(row: dict) -> str:
    """The reason a harness row failed, in the order the harness checks them."""
    if row.get("unsupported"):
        return f"unsupported by {'LiteRT.js' if row.get('runtime') == 'litert' else 'tf.js'}: {row['unsupported']}"
    if row.get("error"):
        return row["error"]
    diff, tolerance = row.get("maxAbsDiff"), row.get("tolerance")
    if diff is None or tolerance is None or diff > tolerance:
        return f"max |Δ| {diff} > tolerance {tolerance}"
    if row.get("badFlips"):
        return f"{row['badFlips']} golden(s) changed class beyond a near tie (argmax agreement {row['argmaxAgreement']:.3f})"
    if row.get("leakedTensors"):
        return f"{row['leakedTensors']} tensors leaked"
    wrong = next((o for o in row.get("outputs") or [] if o.get("shape") != o.get("expectedShape")), row)
    named = f" of '{wrong['name']}'" if "name" in wrong else ""
    return f"output shape{named} {wrong.get('shape')} != expected {wrong.get('expectedShape')}"
