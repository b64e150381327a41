"""Directories that appear complete or not at all, and outputs that never replace what the tool did not write."""

import contextlib
import ctypes
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from tfjs_bridge.common.errors import UserError

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100
# Written into every output folder: its presence (and the entries it lists) is what makes a folder replaceable.
MARKER = ".tfjs-bridge"
# What earlier versions wrote before the marker existed: an output holding only these may be replaced too.
LEGACY_ENTRIES = re.compile(r"saved_model|golden_inputs\.npy|golden_labels\.npy|test_set\.npz|run\.json"
                            r"|model\.json|metadata\.json|goldens\.json|group\d+-shard\d+of\d+\.bin")
# Temporary folders of atomic_directory: .<target>.tmp-<pid>-<random> and .<target>.old-<pid>-<random>.
_TEMP = re.compile(r"\..+\.(tmp|old)-(\d+)-[A-Za-z0-9_]+")


class NotOurs(UserError):
    """An output path that holds something this tool did not write; replacing it would lose the user's files."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


@contextlib.contextmanager
def atomic_directory(target: Path):
    """Yield a temp folder beside target; on success swap it in, on error remove it and keep target."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the web server and other users must read it
    if not target.exists():
        os.rename(tmp, target)
    elif _exchange(tmp, target):
        # One atomic step: readers see the old folder or the new one, never neither; tmp now holds the old.
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        # No exchange on this system: rename the old folder aside first (it stays whole, under a hidden name,
        # until the new one is in place), then the new one in; a kill between the two leaves no visible model.
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)


def _marker(folder: Path) -> dict | None:
    """The folder's marker, or None where it has none (or one this tool did not write)."""
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("tool") == "tfjs-bridge" else None


def check_replaceable(target: Path) -> None:
    """NotOurs unless target is absent or a folder this tool wrote holding nothing it did not write."""
    target = Path(target)
    if not os.path.lexists(target):
        return
    how = "choose another output or move it away yourself"
    if target.is_symlink() or not target.is_dir():
        raise NotOurs(f"{target} exists and is not a folder tfjs-bridge wrote: refusing to replace it ({how})")
    entries = {p.name for p in target.iterdir()} - {MARKER}
    marker = _marker(target)
    if marker is not None:
        strangers = sorted(entries - set(marker.get("entries", [])))
    else:  # an empty folder loses nothing when replaced; older outputs of this tool hold only its file names
        strangers = sorted(e for e in entries if not LEGACY_ENTRIES.fullmatch(e))
    if strangers:
        shown = ", ".join(strangers[:3]) + (f" and {len(strangers) - 3} more" if len(strangers) > 3 else "")
        raise NotOurs(f"{target} holds {shown}, which tfjs-bridge did not write: refusing to replace it ({how})")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(parent: Path) -> list[str]:
    """Remove temporary folders that killed runs of this tool left in parent (their process is gone); return their names.

    Only folders named as atomic_directory names them and holding this tool's marker (or nothing) are removed.
    """
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.fullmatch(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False) or _pid_alive(int(match.group(2))):
            continue
        folder = Path(entry.path)
        inner = [folder, *(p for p in folder.iterdir() if match.group(1) == "old" and p.is_dir() and not p.is_symlink())]
        if any(_marker(f) is not None for f in inner):
            shutil.rmtree(folder, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                folder.rmdir()  # a run killed before it wrote anything: empty, or left alone
        if not folder.exists():
            removed.append(entry.name)
    return removed


@contextlib.contextmanager
def output_directory(target: Path):
    """atomic_directory for the tool's outputs: refuses a target it did not write, marks what it writes, and first
    removes temporary folders that killed runs left beside it."""
    target = Path(target)
    check_replaceable(target)
    remove_stale_temporaries(target.parent)
    with atomic_directory(target) as tmp:
        (tmp / MARKER).write_text(json.dumps({"tool": "tfjs-bridge", "entries": []}) + "\n")  # ours even if killed now
        yield tmp
        entries = sorted(p.name for p in tmp.iterdir() if p.name != MARKER)
        (tmp / MARKER).write_text(json.dumps({"tool": "tfjs-bridge", "entries": entries}) + "\n")
        check_replaceable(target)  # again, just before the swap: something may have appeared meanwhile
