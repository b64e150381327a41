"""1 vs 2 logical devices under MirroredStrategy: the training CLI's own throughput, in fresh processes.

Logical devices can only be configured before TensorFlow initialises them, so each setting runs as
`python -m train mlp --strategy mirrored --virtual-devices N` in its own process.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tfjs_bridge.common import paths


def bench_replicas(devices=(1, 2), epochs: int = 3, batch_sizes=(32,)) -> list[dict]:
    """Median training examples/s over epochs for each device count and global batch size."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for batch in batch_sizes:
            for n in devices:
                out = Path(tmp) / f"mlp-{n}-{batch}"
                cmd = [sys.executable, "-m", "train", "mlp", "--strategy", "mirrored", "--virtual-devices", str(n),
                       "--epochs", str(epochs), "--batch-size", str(batch), "--out", str(out), "--no-progress"]
                subprocess.run(cmd, cwd=paths.CHECKOUT, check=True, capture_output=True, text=True, timeout=900)
                run = json.loads((out / "run.json").read_text())
                rows.append({"devices": n, "global_batch": batch, "epochs": epochs,
                             "examples_per_sec": run["examples_per_sec"],
                             "test_accuracy": run["final"].get("test_accuracy")})
    return rows
