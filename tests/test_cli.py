"""The command line as a user runs it: help, quiet output, exit 2 with one-line errors.

Argument errors run in this process through tfjs_bridge.cli.main (the `tfjs-bridge` entry point); a few
subprocess runs prove the same end to end: quiet, no traceback, exit 2.
"""

import json
import sys
from pathlib import Path

import pytest

import tfjs_bridge
from tests.support.helpers import Background, run


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    """A user's working folder: a text file named README.md and two (empty) artifact folders."""
    (tmp_path / "README.md").write_text("# notes\nnot, numbers\n")
    for name in ("linear", "mlp"):
        (tmp_path / "artifacts" / name).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    return tmp_path


BAD_INPUT = [
    (["train", "mlp", "--epochs", "0"], "must be at least 1"),
    (["train", "mlp", "--learning-rate", "nan"], "finite number > 0"),
    (["train", "mlp", "--batch-size", "many"], "not a whole number"),
    (["train", "mlp", "--csv", "x.csv"], "--csv applies to the linear model only"),
    (["train", "linear", "--dataset", "tfds"], "--dataset applies to the mlp only"),
    (["train", "resnet"], "invalid choice"),
    (["train", "linear", "--csv", "/nonexistent/data.csv"], "CSV not found"),
    (["train", "linear", "--out", "README.md/x"], "cannot write README.md/x.run/checkpoints: Not a directory"),
    (["export", "/nonexistent/model"], "no trained model at /nonexistent/model"),
    (["train", "linear", "--resume", "--run-dir", "/nonexistent/run"], "nothing to resume"),
    (["train", "mlp", "--image-size", "64"], "--image-size applies to mobilenet only"),
    (["train", "mobilenet", "--image-size", "16"], "at least 32"),
    (["train", "mobilenet", "--resume"], "apply to the tape loops"),
    (["train", "devices", "--memory-limit", "512"], "give both"),
    (["devices", "--memory-limit", "512"], "give both"),
    (["train", "mlp", "--strategy", "multiworker"], "needs TF_CONFIG"),
    (["export", "README.md"], "unsupported file type '.md'"),
    (["export", "mlp", "--quantize", "int4"], "mode must be one of float16, uint16, uint8"),
    (["export", "mlp", "--quantize", "float16", "--quantize", "uint8"], "only one mode can apply to all weights"),
    (["export", "README.md", "--shard-size", "0"], "argument --shard-size: must be at least 1, got 0"),
    (["export", "mlp", "--shard-size", "4k"], "argument --shard-size: not a whole number: '4k'"),
    # Nonexistent paths, wrong file types and impossible flags (issue 7).
    (["train", "mlp", "--seed", "x"], "invalid int value"),
    (["train", "linear", "--csv", "README.md"], "README.md: data row 1 is not all numbers"),
    (["train", "linear", "--out", "README.md/linear"], "README.md"),
    (["export", "linear", "--golden-inputs", "/nonexistent.npy"], "--golden-inputs /nonexistent.npy: no such file"),
    (["export", "linear", "--golden-inputs", "README.md"], "expected a .npy (numpy.save) or .npz (numpy.savez) file"),
    (["export", "linear", "--out", "README.md"], "--out README.md exists and is not a folder"),
    (["export", "linear", "--name", "../escape"], "must be a plain folder name"),
    (["export", "linear", "mlp", "--name", "one"], "--name needs a single model"),
    (["export", "linear", "--format", "both", "--name", "one"], "--name needs a single --format"),
    (["export", "--artifacts", "/nonexistent"], "no trained models under /nonexistent"),
    (["export", "linear", "--format", "tfjs"], "invalid choice"),
    (["serve", "--models", "/nonexistent"], "--models /nonexistent is not a folder"),
    (["serve", "--artifacts", "README.md"], "--artifacts README.md is not a folder"),
    (["serve", "--threads", "0"], "argument --threads: must be at least 1, got 0"),
    (["verify", "--backends", "gpu"], "unknown backend 'gpu': choose from cpu, wasm"),
    (["verify", "/nonexistent"], "/nonexistent: no such folder"),
    (["verify"], "web_models: no such folder (export a model first"),
    (["bench", "--smoke"], "--smoke needs --out"),
    (["resnet"], "invalid choice: 'resnet'"),
    ([], "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize("args, message", BAD_INPUT, ids=[" ".join(a) or "(none)" for a, _ in BAD_INPUT])
def test_bad_input_exits_2_with_one_line(cli, user_folder, args, message):
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    # argparse prints its usage lines first; the error itself is the one last line.
    assert message in lines[-1], err
    assert sum("error:" in line for line in lines) == 1, err


# End to end: an argparse error, a check before TensorFlow, and the web server's. Errors found after TensorFlow
# loads print the same one line (in-process cases above), and its start-up is shown quiet by the runs below.
PROCESS_CASES = [
    (["tfjs_bridge", "export", "mlp", "--shard-size", "0"], "argument --shard-size: must be at least 1, got 0"),
    (["export", "/nonexistent/model"], "no trained model at /nonexistent/model"),
    (["web.serve", "--models", "/nonexistent"], "--models /nonexistent is not a folder"),
]


@pytest.mark.parametrize("args, message", PROCESS_CASES, ids=[a[0] for a, _ in PROCESS_CASES])
def test_bad_input_in_a_real_process_is_quiet(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    *usage, last = result.stderr.strip().splitlines()
    assert message in last and "error: " in last, result.stderr
    # Nothing else but argparse's usage: no TensorFlow start-up chatter.
    assert all(line.startswith(("usage:", " ")) for line in usage), result.stderr


def test_train_help_documents_every_flag(cli):
    code, out, _ = cli("train", "--help")
    assert code == 0
    for flag in ("--epochs", "--batch-size", "--learning-rate", "--seed", "--dataset", "--out", "--strategy",
                 "--virtual-devices", "--memory-limit", "--checkpoint-every", "--resume", "--run-dir", "--image-size"):
        assert flag in out
    assert "default: mlp 10" in out and out.startswith("usage: tfjs-bridge train")


def test_top_level_help_and_version_list_every_command(cli):
    code, out, _ = cli("--help")
    assert code == 0
    for command in tfjs_bridge.cli.COMMANDS:
        assert f"    {command}" in out
    assert cli("--version") == (0, f"tfjs-bridge {tfjs_bridge.__version__}\n", "")


@pytest.mark.parametrize("command", ["export", "verify", "serve", "setup-node", "devices", "tape-demo"])
def test_every_command_has_help_under_its_own_name(cli, command):
    code, out, _ = cli(command, "--help")
    assert code == 0 and out.startswith(f"usage: tfjs-bridge {command}"), out


def test_tape_demo_command(cli):
    assert cli("tape-demo").out == cli("train", "tape-demo").out
    code, out, _ = cli("tape-demo")
    assert code == 0 and "= 108" in out


def test_export_refuses_flags_an_artifact_would_ignore(cli, artifacts):
    code, _, err = cli("export", artifacts / "linear", "--kind", "classification", "--out", "/nonexistent/never-written")
    assert code == 2 and "Traceback" not in err
    assert "--golden-inputs, --kind, --signature and --tags are for SavedModel directories" in err


def early_commands(folder: Path) -> dict:
    """`python -m train linear` in a real process, as a user runs it (5 epochs: the output is the point); conftest's lane."""
    return {"train": Background(folder, [sys.executable, "-m", "train", "linear", "--epochs", "5", "--out", str(folder / "lin")])}


@pytest.fixture(scope="module")
def trained_linear(request):
    result = request.module.early["train"].result(timeout=300)
    return Path(result.args[-1]), result


def test_train_is_quiet_and_prints_a_summary(trained_linear):
    out, result = trained_linear
    assert result.returncode == 0, result.stderr
    assert "train loss" in result.stdout and str(out) in result.stdout
    noisy = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert noisy == [], f"unexpected stderr output: {noisy[:5]}"


@pytest.mark.slow
def test_export_both_formats_quantized_is_quiet(trained_linear, tmp_path):
    out, _ = trained_linear
    result = run("export", str(out), "--format", "both", "--quantize", "uint8", "--out", str(tmp_path / "web"))
    assert result.returncode == 0, result.stderr
    assert [ln for ln in result.stderr.splitlines() if ln.strip()] == []
    assert "linear-layers  layers  keras3  uint8" in result.stdout
    assert sorted(p.name for p in (tmp_path / "web").iterdir()) == ["linear", "linear-layers"]


def test_default_folders_are_relative_to_the_working_folder(cli, tmp_path, monkeypatch):
    """train → ./artifacts, export → ./web_models, verify and serve read those: a user's project, not the checkout."""
    from tfjs_bridge.web import create_app

    monkeypatch.chdir(tmp_path)
    trained = cli("train", "linear", "--epochs", "2")
    assert trained.code == 0, trained.err
    assert (tmp_path / "artifacts" / "linear" / "run.json").is_file()
    assert (tmp_path / "artifacts" / "linear.run" / "checkpoints").is_dir()
    exported = cli("export", "linear")
    assert exported.code == 0, exported.err
    assert "web_models/linear" in exported.out and (tmp_path / "web_models" / "linear" / "goldens.json").is_file()
    # The harness's table goes straight to the terminal; the report it leaves shows which folder it checked.
    assert cli("verify", "--backends", "cpu").code == 0
    assert [r["model"] for r in json.loads((tmp_path / "web_models" / "parity-report.json").read_text())["rows"]] == ["linear"]
    client = create_app({"TESTING": True}).test_client()
    (model,) = client.get("/api/models").get_json()["models"]
    assert model["name"] == "linear" and model["python"] is True and model["parity"]["cpu"]["pass"] is True
