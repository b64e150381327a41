"""The tool as a user installs it: a built wheel in a fresh venv, used from a folder outside the checkout."""

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.helpers import user_env
from tfjs_bridge.common.paths import CHECKOUT

pytestmark = pytest.mark.slow

MODEL = """
import keras
keras.utils.set_random_seed(0)
x = keras.Input((4,), name="features")
y = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8, activation="relu")(x))
keras.Model(x, y).save("my_model.keras")
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv holding only the wheel built from this checkout (--no-deps), on top of the pinned packages."""
    root = tmp_path_factory.mktemp("install")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                            str(root / "dist"), str(CHECKOUT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    [wheel] = (root / "dist").glob("tfjs_bridge-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    site = subprocess.run([root / "venv" / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies come from the project's own pinned environment (a plain path: its .pth files, among
    # them the checkout's editable install, are not run), so only the wheel's own files are new.
    (Path(site) / "pinned.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "venv" / "bin" / "python"), "install",
                              "-q", "--no-deps", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    return root


def tool(venv, cwd, *args, **env):
    """Run the installed `tfjs-bridge` in cwd with the node cache inside the test's folder."""
    return subprocess.run([str(venv / "venv" / "bin" / "tfjs-bridge"), *args], cwd=cwd, capture_output=True, text=True,
                          env=user_env(XDG_CACHE_HOME=str(venv / "cache"), **env), timeout=300)


def test_wheel_installs_one_namespace_and_the_command(venv):
    files = subprocess.run([sys.executable, "-m", "zipfile", "-l", str(next((venv / "dist").glob("*.whl")))],
                           capture_output=True, text=True, check=True).stdout
    tops = {line.split()[0].split("/")[0] for line in files.splitlines()[1:] if line.strip()}
    assert tops == {"tfjs_bridge", "tfjs_bridge-0.3.0.dist-info"}
    where = subprocess.run([str(venv / "venv" / "bin" / "python"), "-c", "import tfjs_bridge.web; print(tfjs_bridge.web.__file__)"],
                           cwd=venv, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv / "venv")), where
    assert tool(venv, venv, "--version").stdout.strip() == "tfjs-bridge 0.3.0"


def test_export_and_verify_a_users_model_outside_the_checkout(venv, tmp_path):
    made = subprocess.run([str(venv / "venv" / "bin" / "python"), "-c", MODEL], cwd=tmp_path, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    exported = tool(venv, tmp_path, "export", "my_model.keras")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "web_models" / "my_model" / "goldens.json").is_file()
    # No checkout, no setup-node yet: one line saying how to get tf.js for Node.
    missing = tool(venv, tmp_path, "verify")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [missing.stderr.strip()] and "tfjs-bridge setup-node" in missing.stderr
    setup = tool(venv, tmp_path, "setup-node", "--offline")  # npm ci from npm's cache, which `make setup` filled
    assert setup.returncode == 0, setup.stderr
    verified = tool(venv, tmp_path, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "all 2 checks passed" in verified.stdout
    # Gate a CI: a model whose weights no longer match its goldens fails with exit 1.
    shard = next((tmp_path / "web_models" / "my_model").glob("*.bin"))
    shard.write_bytes(bytes(len(shard.read_bytes())))
    assert tool(venv, tmp_path, "verify").returncode == 1
