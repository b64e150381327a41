"""Files read from outside the program: model folders (untrusted: regular files inside the folder only, bounded)
and users' inputs (checked for type and size before anything reads them)."""

import contextlib
import hashlib
import os
import stat
import time
from pathlib import Path

from tfjs_bridge.common.errors import UserError

CHUNK = 1024 * 1024
# A file whose mtime is this recent may still be rewritten within the same timestamp tick (ext4 stamps are
# jiffy-coarse), so its hash is not cached by identity: git's "racily clean" rule.
RACY_SECONDS = 2.0
_HASHES: dict[tuple, str] = {}  # file identity → sha256 hex, for files whose bytes were hashed once
_HASHES_MAX = 200_000


class FileRefused(UserError):
    """A file that is not read: missing, not a regular file, a symbolic link, or over its size limit."""


class Missing(FileRefused):
    """The file does not exist."""


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def identity(st: os.stat_result) -> tuple:
    """What changes when a file is replaced or rewritten: device, inode, size, mtime."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def open_folder(path: Path, name: str, *, link_ok: bool = False) -> int:
    """An open handle (fd) of a model folder whose files are then opened relative to it (the caller closes it).

    O_NOFOLLOW refuses a link in the folder's place, and once open, a swap of the path for a link to elsewhere
    cannot redirect a read: every file is looked up in the very folder that was opened. link_ok: a root the user
    named (the models folder itself), which may be a link.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if link_ok else os.O_NOFOLLOW)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        raise Missing(f"{name}: missing") from None
    except OSError as err:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise FileRefused(f"{name}: cannot read ({err.strerror})") from None
        if stat.S_ISDIR(mode):
            raise FileRefused(f"{name}: cannot read ({err.strerror})") from None
        raise FileRefused(f"{name}: is {_kind(mode)}, not a folder; refused") from None


@contextlib.contextmanager
def folder(path: Path, name: str, *, link_ok: bool = False):
    """open_folder as a context: the handle is closed on leaving."""
    fd = open_folder(path, name, link_ok=link_ok)
    try:
        yield fd
    finally:
        os.close(fd)


def lstat_regular(folder_fd: int, name: str, limit: int) -> os.stat_result:
    """lstat of a file of an open folder that may be read: a regular file (never a link) of at most limit bytes."""
    try:
        st = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise Missing(f"{name}: missing") from None
    except OSError as err:
        raise FileRefused(f"{name}: cannot read ({err.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused(f"{name}: is {_kind(st.st_mode)}, not a regular file; refused")
    if st.st_size > limit:
        raise FileRefused(f"{name}: {st.st_size:,} bytes is over the limit of {limit:,}")
    return st


def open_regular(folder_fd: int, name: str, limit: int):
    """(binary file, stat) of a checked file of an open folder, opened so that a swap after the check is caught.

    The file is looked up in the open folder (dir_fd), never through the folder's path; O_NOFOLLOW refuses a
    link put there since the lstat, O_NONBLOCK keeps a FIFO from blocking the open, and fstat must show the
    very file that was checked.
    """
    st = lstat_regular(folder_fd, name, limit)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder_fd)
    except OSError as err:
        raise FileRefused(f"{name}: cannot read ({err.strerror})") from None
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino) or opened.st_size > limit:
        os.close(fd)
        raise FileRefused(f"{name}: replaced while being opened; refused")
    return os.fdopen(fd, "rb"), opened


def read_bounded(folder_fd: int, name: str, limit: int) -> bytes:
    """The bytes of a file of an open folder, of at most limit bytes (FileRefused otherwise)."""
    f, _ = open_regular(folder_fd, name, limit)
    with f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"{name}: grew past the limit of {limit:,} bytes while being read")
    return data


def sha256_file(folder_fd: int, name: str, size: int) -> str:
    """sha256 of a file of an open folder of exactly size bytes, streamed; cached by file identity once it is not racy."""
    st = lstat_regular(folder_fd, name, size)
    key = identity(st)
    if key in _HASHES:
        return _HASHES[key]
    f, opened = open_regular(folder_fd, name, size)
    digest, seen = hashlib.sha256(), 0
    with f:
        while chunk := f.read(min(CHUNK, size + 1 - seen)):
            seen += len(chunk)
            digest.update(chunk)
    if seen != size or identity(opened) != key:
        raise FileRefused(f"{name}: changed while being read")
    if time.time() - st.st_mtime > RACY_SECONDS:
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        _HASHES[key] = digest.hexdigest()
    return digest.hexdigest()


def regular_input(path: Path, what: str, limit: int) -> int:
    """Size of a user's input file: it must be (or link to) a regular file of at most limit bytes; UserError otherwise."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{what} {path}: no such file") from None
    except OSError as err:
        raise UserError(f"{what} {path}: cannot read ({err.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{what} {path}: is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise UserError(f"{what} {path}: {st.st_size:,} bytes is over the limit of {limit:,}")
    return st.st_size


def npy_shape(path: Path, what: str, limit: int) -> tuple[tuple, str]:
    """(shape, dtype) from a .npy file's header, refused unless the header describes exactly the bytes the file holds."""
    import numpy as np

    size = regular_input(path, what, limit)
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f"format version {version} is not supported")
            shape, _, dtype = read_header(f)
            offset = f.tell()
    except (ValueError, OSError, EOFError, SyntaxError) as err:
        raise UserError(f"{what} {path}: not a .npy file ({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    if dtype.hasobject or dtype.kind not in "biufUS":  # numbers, booleans, or text for string inputs
        raise UserError(f"{what} {path}: dtype {dtype} is neither numbers nor text")
    count = 1
    for d in shape:
        count *= d
    if count * dtype.itemsize != size - offset:
        raise UserError(f"{what} {path}: header says shape {list(shape)} ({count * dtype.itemsize:,} bytes), "
                        f"the file holds {size - offset:,}")
    if shape and shape[0] == 0:  # a 0-d array is one value, for a model's scalar input
        raise UserError(f"{what} {path}: holds no rows (shape {list(shape)})")
    return shape, str(dtype)


def sha256_open(handle, st: os.stat_result) -> str:
    """sha256 of an open file whose fstat is st, streamed in CHUNKs (never read whole); cached by identity like
    sha256_file, so a file verified once is not read again for its digest."""
    key = identity(st)
    if key in _HASHES:
        return _HASHES[key]
    digest = hashlib.sha256()
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    handle.seek(0)
    if time.time() - st.st_mtime > RACY_SECONDS:
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        _HASHES[key] = digest.hexdigest()
    return digest.hexdigest()
