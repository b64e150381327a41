"""Fixtures of the cross-stage runs."""

import pytest

from tests.support.helpers import edited_copy, shift_first_output, verify_json


@pytest.fixture(scope="session")
def node_parity(exported, tmp_path_factory):
    """One Node run (cpu, wasm) over the fresh exports and two broken copies of the mlp: (exit code, rows).

    mlp-drifted: one expected output moved by 1e-3 (10x the float32 tolerance), goldens.json resealed so only
    parity can catch it; mlp-truncated: the weight shard 100 bytes short. Rows are {(folder, backend): row}.
    """
    broken = tmp_path_factory.mktemp("broken_parity")
    edited_copy(exported / "mlp", broken / "mlp-drifted", goldens=shift_first_output(1e-3))
    truncated = edited_copy(exported / "mlp", broken / "mlp-truncated")
    shard = next(truncated.glob("*.bin"))
    shard.write_bytes(shard.read_bytes()[:-100])
    return verify_json(exported, broken)
