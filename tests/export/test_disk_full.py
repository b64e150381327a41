"""A write that fails (disk full, file too large) during train, export and `serve --static`: one line naming the path
that could not be written, exit 2, nothing half-written, the old output intact (issue 20, item 9).

What is simulated: RLIMIT_FSIZE in a child process (SIGXFSZ ignored), so every write past the limit fails with
EFBIG ("File too large"), in Python's own writes and in TensorFlow's C++ file writers alike, as ENOSPC would on a
full disk. No root, no mount; one child runs all three commands so TensorFlow is imported once.
"""

import json
import shutil
import subprocess
import sys

import pytest

from tests.support.helpers import user_env
from tfjs_bridge.common.paths import CHECKOUT

LIMIT = 8000  # bytes: the linear SavedModel's graph and the MLP's shard and goldens are larger; source files fit
CHILD = """
import contextlib, io, json, resource, signal, sys
sys.path.insert(0, '.')
from tfjs_bridge.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


@pytest.mark.slow
def test_failed_writes_are_one_line_and_leave_old_outputs(artifacts, exported, tmp_path):
    out, site = tmp_path / "models", tmp_path / "site"
    shutil.copytree(exported, out)  # a previous export, which the failed one must leave as it was
    before = (out / "mlp" / "metadata.json").read_text()
    commands = [["train", "linear", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "lin")],
                ["export", "mlp", "--artifacts", str(artifacts), "--out", str(out)],
                ["serve", "--models", str(exported), "--static", str(site)]]
    child = subprocess.run([sys.executable, "-c", CHILD.format(limit=LIMIT), json.dumps(commands)], cwd=CHECKOUT,
                           capture_output=True, text=True, env=user_env(), timeout=300)
    results = json.loads(child.stdout.splitlines()[-1])
    expected = [tmp_path / "lin" / "saved_model", out / "mlp" / "group1-shard1of1.bin", site / "models"]
    for (code, err), path in zip(results, expected, strict=True):
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith(f"error: cannot write {path}") and "File too large" in err, err
    assert (out / "mlp" / "metadata.json").read_text() == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in exported.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lin.run", "models"]  # no site, no artifact, no temporaries
    print(f"disk full (RLIMIT_FSIZE {LIMIT} B): train, export, --static each 1 line, exit 2, old export intact")
