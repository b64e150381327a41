"""The two Python entry points as a user runs them: help, quiet output, exit 2 with one-line errors."""

import pytest
from helpers import run


def test_train_help_documents_every_flag():
    out = run("train", "--help").stdout
    for flag in ("--epochs", "--batch-size", "--learning-rate", "--seed", "--dataset", "--out", "--strategy",
                 "--virtual-devices", "--memory-limit", "--checkpoint-every", "--resume", "--run-dir", "--image-size"):
        assert flag in out
    assert "default: mlp 10" in out


def test_train_is_quiet_and_prints_a_summary(tmp_path):
    result = run("train", "linear", "--out", str(tmp_path / "lin"))
    assert result.returncode == 0, result.stderr
    assert "train loss" in result.stdout and str(tmp_path / "lin") in result.stdout
    noisy = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert noisy == [], f"unexpected stderr output: {noisy[:5]}"


def test_tape_demo_command():
    result = run("train", "tape-demo")
    assert result.returncode == 0 and "= 108" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "mlp", "--epochs", "0"], "must be at least 1"),
        (["train", "mlp", "--learning-rate", "nan"], "finite number > 0"),
        (["train", "mlp", "--batch-size", "many"], "not a whole number"),
        (["train", "mlp", "--csv", "x.csv"], "--csv applies to the linear model only"),
        (["train", "resnet"], "invalid choice"),
        (["train", "linear", "--csv", "/nonexistent/data.csv"], "CSV not found"),
        (["train", "linear", "--out", "README.md/x"], "cannot write README.md/x.run/checkpoints: Not a directory"),
        (["export", "/nonexistent/model"], "no trained model at /nonexistent/model"),
        (["train", "linear", "--resume", "--run-dir", "/nonexistent/run"], "nothing to resume"),
        (["train", "mlp", "--image-size", "64"], "--image-size applies to mobilenet only"),
        (["train", "mobilenet", "--image-size", "16"], "at least 32"),
        (["train", "mobilenet", "--resume"], "apply to the tape loops"),
        (["train", "devices", "--memory-limit", "512"], "give both"),
        (["export", "README.md"], "unsupported file type '.md'"),
        (["export", "mlp", "--quantize", "int4"], "mode must be one of float16, uint16, uint8"),
        (["export", "README.md", "--shard-size", "0"], "--shard-size must be a positive number of bytes"),
        # Nonexistent paths, wrong file types and impossible flags (issue 7).
        (["train", "mlp", "--seed", "x"], "invalid int value"),
        (["train", "linear", "--csv", "README.md"], "README.md: data row 1 is not all numbers"),
        (["train", "linear", "--out", "README.md/linear"], "README.md"),
        (["export", "linear", "--golden-inputs", "/nonexistent.npy"], "--golden-inputs /nonexistent.npy: no such file"),
        (["export", "linear", "--golden-inputs", "README.md"], "expected a .npy file"),
        (["export", "linear", "--out", "README.md"], "--out README.md exists and is not a folder"),
        (["export", "linear", "--name", "../escape"], "must be a plain folder name"),
        (["export", "--artifacts", "/nonexistent"], "no trained models under /nonexistent"),
        (["export", "linear", "--format", "tfjs"], "invalid choice"),
        (["web.serve", "--models", "/nonexistent"], "--models /nonexistent is not a folder"),
    ],
)
def test_bad_input_exits_2_without_traceback(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].count("\n") == 0


def test_export_refuses_flags_an_artifact_would_ignore(artifacts):
    result = run("export", str(artifacts / "linear"), "--kind", "classification", "--out", "/nonexistent/never-written")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--golden-inputs and --kind are for SavedModel directories" in result.stderr


def test_export_both_formats_quantized_is_quiet(tmp_path):
    assert run("train", "linear", "--out", str(tmp_path / "lin"), "--no-progress").returncode == 0
    result = run("export", str(tmp_path / "lin"), "--format", "both", "--quantize", "uint8", "--out", str(tmp_path / "web"))
    assert result.returncode == 0, result.stderr
    assert [ln for ln in result.stderr.splitlines() if ln.strip()] == []
    assert "linear-layers  layers  keras3  uint8" in result.stdout
    assert sorted(p.name for p in (tmp_path / "web").iterdir()) == ["linear", "linear-layers"]
