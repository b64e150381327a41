"""Nothing the tool did not write is deleted or replaced: the marker lists every path, temporaries carry a form no
user chooses and are removed only when their own marker names them (issue 20, item 1)."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

import tfjs_bridge.common.atomic as atomic
from tfjs_bridge.common.ownership import NotOurs


def dead_pid() -> int:
    """The id of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write_output(target):
    """An output of the tool with a nested folder, as train writes saved_model/."""
    with atomic.output_directory(target) as tmp:
        (tmp / "saved_model" / "variables").mkdir(parents=True)
        (tmp / "saved_model" / "saved_model.pb").write_bytes(b"pb")
        (tmp / "run.json").write_text("{}")


def test_marker_lists_every_path_so_a_file_added_deep_inside_is_kept(tmp_path):
    target = tmp_path / "mlp"
    write_output(target)
    marker = json.loads((target / atomic.MARKER).read_text())
    assert marker["paths"] == ["run.json", "saved_model/", "saved_model/saved_model.pb", "saved_model/variables/"]
    write_output(target)  # its own output: replaced
    (target / "saved_model" / "variables" / "NOTES.md").write_text("mine")
    with pytest.raises(NotOurs, match="saved_model/variables/NOTES.md, which tfjs-bridge did not write"):
        write_output(target)
    assert (target / "saved_model" / "variables" / "NOTES.md").read_text() == "mine"


def test_a_file_the_tool_wrote_and_the_user_edited_is_kept(tmp_path):
    target = tmp_path / "mlp"
    write_output(target)
    marker = json.loads((target / atomic.MARKER).read_text())
    assert marker["sha256"]["run.json"] == hashlib.sha256(b"{}").hexdigest()
    (target / "run.json").write_text('{"notes": "mine"}')
    with pytest.raises(NotOurs, match=r"holds run.json \(changed since it was written\), which tfjs-bridge did not write"):
        write_output(target)
    assert (target / "run.json").read_text() == '{"notes": "mine"}'
    # A marker of the previous version (names only) still lets the tool replace its own output.
    del marker["sha256"]
    (target / atomic.MARKER).write_text(json.dumps(marker))
    write_output(target)
    assert (target / "run.json").read_text() == "{}"


def test_user_folders_that_look_like_temporaries_survive(tmp_path):
    """The old temporary pattern, a pid too large for the system, a copied temporary: kept, and no crash."""
    pid = dead_pid()
    mine = tmp_path / ".mlp.old-20240101-mine"  # a user's backup, holding a model copy (with its marker) and notes
    write_output(mine / "mlp")
    (mine / "notes.txt").write_text("why this one was better")
    huge = tmp_path / f".x.tmp-{'9' * 20}-y"  # crashed every export with OverflowError before
    huge.mkdir()
    huge_new = tmp_path / ".x.tfjs-bridge-tmp-9999999999-abcdefgh"  # our form, a pid os.kill cannot take
    huge_new.mkdir()
    copied = tmp_path / f".mlp.tfjs-bridge-old-{pid}-abcdefgh"  # our form, but its marker names another folder
    copied.mkdir()
    (copied / atomic.MARKER).write_text(json.dumps({"tool": "tfjs-bridge", "temp": f".mlp.tfjs-bridge-old-{pid}-zzzzzzzz"}))
    (copied / "data.csv").write_text("1,2")
    write_output(tmp_path / "mlp")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["mlp", mine.name, huge.name, huge_new.name, copied.name]), names
    assert (mine / "notes.txt").is_file() and (mine / "mlp" / "run.json").is_file() and (copied / "data.csv").is_file()


def test_temporary_names_follow_the_documented_form(tmp_path, monkeypatch):
    seen = []
    real = atomic.make_temp
    monkeypatch.setattr(atomic, "make_temp", lambda target, kind: seen.append(real(target, kind)) or seen[-1])
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)  # the fallback also makes an "old" folder
    write_output(tmp_path / "mlp")
    write_output(tmp_path / "mlp")
    assert [atomic._TEMP.fullmatch(p.name).group(1) for p in seen] == ["tmp", "tmp", "old"]
    assert all(".tfjs-bridge-" in p.name and f"-{os.getpid()}-" in p.name for p in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp"]


def test_a_killed_runs_temporary_is_removed(tmp_path):
    pid = dead_pid()
    stale = tmp_path / f".mlp.tfjs-bridge-tmp-{pid}-abcdefgh"
    stale.mkdir()
    (stale / atomic.MARKER).write_text(json.dumps({"tool": "tfjs-bridge", "temp": stale.name}))
    (stale / "model.json").write_text("{}")
    write_output(tmp_path / "mlp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp"]


def test_a_symlinked_target_is_refused_and_kept(tmp_path):
    real = tmp_path / "real"
    write_output(real)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(NotOurs, match="symbolic link"):
        write_output(link)
    with pytest.raises(NotOurs, match="symbolic link"):
        with atomic.atomic_directory(link):
            pass
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_link_swapped_in_during_the_write_is_refused(tmp_path):
    target, elsewhere = tmp_path / "mlp", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(NotOurs, match="symbolic link"):
        with atomic.output_directory(target) as tmp:
            (tmp / "run.json").write_text("{}")
            target.symlink_to(elsewhere)
    assert target.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "mlp"]

