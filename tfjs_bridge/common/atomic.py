"""Directories that appear complete or not at all, and outputs that never replace what the tool did not write."""

import contextlib
import ctypes
import os
import re
import shutil
import tempfile
from pathlib import Path

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.ownership import LEGACY_OUTPUT, MARKER, Legacy, NotOurs, check_replaceable, read_marker, write_marker

__all__ = ["MARKER", "NotOurs", "atomic_directory", "check_replaceable", "output_directory", "remove_stale_temporaries",
           "Unwritable"]

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100
# Temporary and backup folders beside a target: .<target>.tfjs-bridge-tmp-<pid>-<8 random> (the new folder being
# written) and .<target>.tfjs-bridge-old-<pid>-<8 random> (the old one, when no exchange is possible). The tool's
# name, the pid and mkdtemp's random part make a form no user chooses; a folder is removed as stale only when its
# process is gone and its own marker names it (so a user's look-alike folder is never touched).
TEMP_FORM = ".{name}.tfjs-bridge-{kind}-{pid}-"
_TEMP = re.compile(r"\..+\.tfjs-bridge-(tmp|old)-([1-9][0-9]{0,9})-[a-z0-9_]{8}")
_NAME_KEPT = 48  # characters of the target's name in its temporaries' names (NAME_MAX is 255 bytes)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def make_temp(target: Path, kind: str) -> Path:
    """A new empty folder beside target named in TEMP_FORM (kind "tmp" or "old"), marked as the tool's temporary."""
    prefix = TEMP_FORM.format(name=target.name[:_NAME_KEPT], kind=kind, pid=os.getpid())
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    write_marker(folder, temp=folder.name)
    return folder


def _refuse_link(target: Path) -> None:
    """NotOurs for a target that is (now) a symbolic link: an exchange would replace the link, not its folder."""
    if target.is_symlink():
        raise NotOurs(f"{target} is a symbolic link, not a folder tfjs-bridge wrote: refusing to replace it "
                      "(give the folder it points to)")


@contextlib.contextmanager
def atomic_directory(target: Path):
    """Yield a temp folder beside target; on success swap it in, on error remove it and keep target."""
    target = Path(target)
    _refuse_link(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp(target, "tmp")  # marked as ours from the start: a killed run's leftover is provably ours
    try:
        yield tmp
        _refuse_link(target)
        if (read_marker(tmp) or {}).get("temp") == tmp.name:
            (tmp / MARKER).unlink()  # the caller wrote no marker of its own: swap in only its files
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
        old = make_temp(target, "old")
        os.rename(target, old / target.name)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    """Whether a process of this id may still run (ids beyond the system's range: assumed alive, never removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temporaries(parent: Path) -> list[str]:
    """Remove temporary folders that killed runs of this tool left in parent (their process is gone); return their names.

    Only folders named in TEMP_FORM whose own marker names them are removed (or, killed before the marker, empty).
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
        marker = read_marker(folder)
        if marker is not None and marker.get("temp") == entry.name:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                folder.rmdir()  # a run killed before it wrote anything: empty, or left alone
        if not folder.exists():
            removed.append(entry.name)
    return removed


class Unwritable(UserError):
    """An output that could not be written (disk full, file too large, read-only, ...); nothing was replaced."""


def unwritable(err: BaseException, tmp: Path, target: Path) -> Unwritable | None:
    """Unwritable naming the path (as it would be in target) for an error writing into tmp; None for other errors.

    OSErrors name their path (copyfile's destination as filename2) or none (a write() on an open file); TensorFlow's
    file errors (tf.io.gfile, SavedModel writers) carry no errno and say "<path>; <reason>".
    """
    if isinstance(err, OSError):
        path, reason = err.filename2 or err.filename, err.strerror or str(err)
        if path is not None and not str(path).startswith(str(tmp)):
            return None  # a file read or written elsewhere: its own handler says what it was
    elif type(err).__module__.startswith("tensorflow") and str(tmp) in str(err):
        path, _, reason = str(err).partition("; ")
        path = path[path.index(str(tmp)):]
    else:
        return None
    shown = str(target) + str(path)[len(str(tmp)):] if path else str(target)
    return Unwritable(f"cannot write {shown}: {reason.splitlines()[0] if reason else type(err).__name__} "
                      f"(nothing written: {target} is as it was)")


@contextlib.contextmanager
def output_directory(target: Path, legacy: Legacy = LEGACY_OUTPUT):
    """atomic_directory for the tool's outputs: refuses a target holding anything it did not write, marks every path
    it writes, and first removes temporary folders that killed runs left beside it. A failed write (disk full, ...)
    becomes one Unwritable line naming the path, with the temporary folder removed and target untouched."""
    target = Path(target)
    check_replaceable(target, legacy)
    remove_stale_temporaries(target.parent)
    tmp = None
    try:
        with atomic_directory(target) as tmp:
            yield tmp
            write_marker(tmp)
            check_replaceable(target, legacy)  # again, just before the swap: something may have appeared meanwhile
    except Exception as err:
        converted = unwritable(err, tmp, target) if tmp is not None else None
        if converted is None:
            raise
        raise converted from None
