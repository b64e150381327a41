"""export/tensors.py: what the exporter reads from a model's outputs."""

import pytest

from tfjs_bridge.export.tensors import guess_kind


@pytest.mark.parametrize("name,shape,kind", [
    ("probs", [None, 10], "classification"),
    ("dense_1", [None, 2], "classification"),
    ("y", [None, 1], "regression"),            # one number: nothing to take the argmax of
    ("y", [None, 4, 3], "regression"),
    # An encoder's vectors are not class scores, whatever their width (keras-hub, Hugging Face names).
    ("pooled_output", [None, 8], "regression"),
    ("pooler_output", [None, 768], "regression"),
    ("last_hidden_state", [None, 768], "regression"),
    ("embeddings", [None, 16], "regression"),
])
def test_kind_is_guessed_from_the_first_output(name, shape, kind):
    assert guess_kind({"name": name, "shape": shape}) == kind
