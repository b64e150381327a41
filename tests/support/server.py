"""The production server (`python -m web.serve`, as `make serve` starts it) in a process of its own, for tests."""

import contextlib
import subprocess
import sys

from tfjs_bridge.common.paths import CHECKOUT

HOST = "127.0.0.1"


@contextlib.contextmanager
def serving(models, artifacts, *flags):
    """`python -m web.serve` on a free port of 127.0.0.1 with flags; yields (host, port) once it listens."""
    command = [sys.executable, "-m", "web.serve", "--host", HOST, "--port", "0", "--models", str(models),
               "--artifacts", str(artifacts), *flags]
    with subprocess.Popen(command, cwd=CHECKOUT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        try:
            line = proc.stdout.readline()  # "tfjs bridge demo at http://127.0.0.1:PORT/ ..." once listening
            assert "http://" in line, line + proc.stdout.read()
            yield HOST, int(line.split()[4].rstrip("/").rsplit(":", 1)[1])
        finally:
            proc.terminate()
