"""Careless and hostile command lines: every number and path range-checked before TensorFlow (one line, exit 2),
inputs checked for type and size before reading, and no command deleting or moving what it did not write."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tfjs_bridge import cli
from tfjs_bridge.common import atomic

BIG = str(2**64)


def refuse(argv, capsys, expect: str) -> str:
    """Run argv in-process: exit 2 with one `error:`/usage line naming expect, and TensorFlow never imported."""
    loaded = "tensorflow" in sys.modules
    with pytest.raises(SystemExit) as exit_:
        sys.exit(cli.main(argv))
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2, (argv, err)
    assert expect in err[-1], (argv, err[-1])
    assert "Traceback" not in "\n".join(err)
    assert loaded or "tensorflow" not in sys.modules, f"{argv} imported TensorFlow"
    return err[-1]


NUMBERS = [
    (["train", "linear", "--seed", "-1"], "at least 0"),
    (["train", "linear", "--seed", BIG], "at most 4,294,967,295"),
    (["train", "linear", "--batch-size", str(2**63)], "at most"),
    (["train", "linear", "--epochs", str(2**63)], "at most"),
    (["train", "linear", "--epochs", "0"], "at least 1"),
    (["train", "devices", "--virtual-devices", "100000"], "at most 64"),
    (["train", "linear", "--checkpoint-every", BIG], "at most"),
    (["train", "linear", "--memory-limit", BIG, "--virtual-devices", "2"], "at most"),
    (["train", "mobilenet", "--image-size", BIG], "at most"),
    (["train", "linear", "--out", ""], "must not be empty"),
    (["train", "linear", "--out", "."], "does not name a folder"),
    (["train", "linear", "--out", "a/.."], "does not name a folder"),
    (["train", "linear", "--out", "x" * 300], "path too long"),
    (["train", "linear", "--seed", "x"], "invalid int value"),
    (["export", "linear", "--shard-size", str(10**30)], "at most"),
    (["export", "linear", "--shard-size", "0"], "at least 1"),
    (["export", "linear", "--out", ""], "must not be empty"),
    (["export", "linear", "--compat", "einsum,nope"], "unknown rule 'nope' (known: all, none, unroll-rnn,"),
    (["serve", "--port", "70000"], "at most 65,535"),
    (["serve", "--threads", "0"], "at least 1"),
    (["serve", "--connection-limit", BIG], "at most"),
    (["serve", "--channel-timeout", "-5"], "at least 1"),
]


@pytest.mark.parametrize("argv,expect", NUMBERS, ids=[" ".join(a)[:50] for a, _ in NUMBERS])
def test_numbers_and_paths_out_of_range_are_one_line(argv, expect, capsys):
    refuse(argv, capsys, expect)


def test_count_of_argument_cases():
    print(f"CLI limits: {len(NUMBERS)} out-of-range numbers and paths refused before TensorFlow")


@pytest.fixture
def npy_cases(tmp_path):
    """Golden-input files a careless user might pass: empty, lying header, no rows, text, FIFO, /dev/zero link."""
    cases = {}
    (tmp_path / "empty.npy").write_bytes(b"")
    cases["empty.npy"] = "not a .npy file"
    header = tmp_path / "huge.npy"
    with open(header, "wb") as f:  # a header claiming 1e12 rows of 3 float32 (10.9 TiB) over 24 bytes of data
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (10**12, 3)})
        f.write(b"\0" * 24)
    cases["huge.npy"] = "header says shape [1000000000000, 3]"
    np.save(tmp_path / "norows.npy", np.zeros((0, 3), np.float32))
    cases["norows.npy"] = "holds no rows"
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    cases["objects.npy"] = "is neither numbers nor text"
    os.mkfifo(tmp_path / "fifo.npy")
    cases["fifo.npy"] = "is a FIFO"
    os.symlink("/dev/zero", tmp_path / "zero.npy")
    cases["zero.npy"] = "is a character device"
    return tmp_path, cases


def test_golden_input_files_are_checked_before_reading(npy_cases, artifacts, capsys):
    folder, cases = npy_cases
    for name, expect in cases.items():
        refuse(["export", str(artifacts / "linear"), "--golden-inputs", str(folder / name), "--out", str(folder / "o")],
               capsys, expect)
    print(f"CLI inputs: {len(cases)} hostile .npy files refused before reading (empty, 1e12-row header, FIFO, /dev/zero)")


def test_model_files_that_are_not_regular_files_are_refused(tmp_path, capsys):
    os.mkfifo(tmp_path / "m.keras")
    os.symlink("/dev/zero", tmp_path / "z.h5")
    refuse(["export", str(tmp_path / "m.keras"), "--out", str(tmp_path / "o")], capsys, "is a FIFO")
    refuse(["export", str(tmp_path / "z.h5"), "--out", str(tmp_path / "o")], capsys, "is a character device")
    os.mkfifo(tmp_path / "data.csv")
    refuse(["train", "linear", "--csv", str(tmp_path / "data.csv"), "--out", str(tmp_path / "lin")], capsys, "is a FIFO")


def test_outputs_not_written_by_the_tool_are_refused(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    refuse(["train", "linear", "--out", str(mine)], capsys, "thesis.tex, which tfjs-bridge did not write")
    (tmp_path / "notes.txt").write_text("mine")
    refuse(["train", "linear", "--out", str(tmp_path / "notes.txt")], capsys, "is not a folder tfjs-bridge wrote")
    web = tmp_path / "web"
    (web / "linear").mkdir(parents=True)
    (web / "linear" / "keep.me").write_text("mine")
    refuse(["export", "linear", "--name", "linear", "--out", str(web)], capsys, "keep.me")
    assert (mine / "thesis.tex").read_text() == "years of work" and (tmp_path / "notes.txt").read_text() == "mine"
    assert (web / "linear" / "keep.me").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["mine", "notes.txt", "web"]


def test_marker_rules(tmp_path):
    """The swap replaces its own output (marked, or a legacy one of only its files) and nothing else."""
    target = tmp_path / "out"
    with atomic.output_directory(target) as tmp:
        (tmp / "run.json").write_text("{}")
    assert json.loads((target / atomic.MARKER).read_text())["entries"] == ["run.json"]
    with atomic.output_directory(target) as tmp:  # its own output: replaced
        (tmp / "run.json").write_text("{}")
    (target / "extra.txt").write_text("user's")
    with pytest.raises(atomic.NotOurs, match="extra.txt"):
        with atomic.output_directory(target):
            pass
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    for name in ("model.json", "metadata.json", "goldens.json", "group1-shard1of1.bin"):
        (legacy / name).write_text("")
    with atomic.output_directory(legacy) as tmp:
        (tmp / "model.json").write_text("{}")
    empty = tmp_path / "empty"  # e.g. made by the user for the output: replacing it loses nothing
    empty.mkdir()
    with atomic.output_directory(empty) as tmp:
        (tmp / "run.json").write_text("{}")
    assert (empty / "run.json").is_file()
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(atomic.NotOurs, match="not a folder"):
        atomic.check_replaceable(link)
    assert (target / "extra.txt").exists()


def test_stale_temporaries_of_killed_runs_are_removed(tmp_path):
    """Folders left by killed runs (their process gone) are removed by the next run; a live run's and a user's stay."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = []
    for i in range(12):
        folder = tmp_path / f".linear.tfjs-bridge-{'tmp' if i % 2 else 'old'}-{dead.pid}-{i:08d}"
        folder.mkdir()
        if i % 3:  # killed after writing its marker; the others before writing anything
            (folder / atomic.MARKER).write_text(json.dumps({"tool": "tfjs-bridge", "temp": folder.name}))
            (folder / "model.json").write_text("{}")
        left.append(folder.name)
    live = tmp_path / f".linear.tfjs-bridge-tmp-{os.getpid()}-livelive"
    live.mkdir()
    users = tmp_path / f".linear.tfjs-bridge-tmp-{dead.pid}-usersxxx"
    users.mkdir()
    (users / "mine.txt").write_text("not the tool's")
    with atomic.output_directory(tmp_path / "linear") as tmp:
        (tmp / "model.json").write_text("{}")
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == sorted(["linear", live.name, users.name]), remaining
    print(f"stale temporaries: {len(left)} of killed runs removed; a live run's and a user-filled one kept")


def test_non_finite_and_unmatched_quantize_are_refused(exported_linear_source, tmp_path):
    from tfjs_bridge.export.convert import ExportOptions, export_source
    from tfjs_bridge.export.errors import ExportError
    from tfjs_bridge.export.weights import parse_quantize

    source = exported_linear_source
    def scaled(value):
        def reference(named):  # a model whose outputs leave float32: 3e38 * 10 overflows to Infinity
            rows = len(next(iter(named.values())))
            with np.errstate(over="ignore"):
                return {out["name"]: np.full((rows, 1), value, np.float32) * np.float32(10) for out in source.io["outputs"]}
        return reference

    for bad in (np.nan, np.inf, 3e38):
        nan_source = source.__class__(**{**source.__dict__, "reference": scaled(bad)})
        with pytest.raises(ExportError, match="NaN or Infinity"):
            export_source(nan_source, tmp_path, ExportOptions("graph"))
    with pytest.raises(ExportError, match=r"--quantize uint8=\[: matches no weight"):
        export_source(source, tmp_path, ExportOptions("graph", parse_quantize(["uint8=["])))
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")], "nothing visible written"
    print("exporter: NaN, Infinity and 3e38*10 goldens and an unmatched --quantize glob refused, nothing written")


@pytest.fixture(scope="module")
def exported_linear_source(artifacts):
    from tfjs_bridge.export.sources import from_artifact

    return from_artifact(artifacts / "linear")


def test_end_to_end_refusal_without_tensorflow(tmp_path):
    """One real process: a bad seed is one line, exit 2, well under TensorFlow's import time."""
    result = subprocess.run([sys.executable, "-m", "tfjs_bridge", "train", "linear", "--seed", "-1"],
                            capture_output=True, text=True, timeout=60)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and "Traceback" not in result.stderr and last.endswith("must be at least 0, got -1")
