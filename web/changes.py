"""Which model folders changed since they were checked, without looking at each of their files per request.

Linux inotify watches the models root (a folder swapped in, renamed or deleted) and each checked folder (any
file in it created, written, truncated, renamed or deleted, in place or not). A request then costs one
non-blocking read of the inotify descriptor, however many shards a folder has. Where inotify is missing or
its watch limit is reached, generation() answers None and the store compares every file's identity instead.
"""

import ctypes
import os
import struct
import threading
from pathlib import Path

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
IN_ONLYDIR, IN_DONT_FOLLOW = 0x01000000, 0x02000000
MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then len bytes of name)


class Watcher:
    """Per-folder change counters fed by inotify; generation(name) is None where a folder is not watched."""

    def __init__(self, root: Path):
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._owner: dict[int, str | None] = {}  # watch descriptor → folder name (None: the root)
        self._watched: dict[str, int] = {}
        self._overflows = 0
        self._fd = -1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self._add = libc.inotify_add_watch
            self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
            self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return
        if self._fd >= 0 and not self._add_watch(None, Path(root)):
            os.close(self._fd)
            self._fd = -1

    def __del__(self):
        # Each app (tests make many) holds one inotify instance; the per-user default allows 128.
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _add_watch(self, name: str | None, folder: Path) -> bool:
        wd = self._add(self._fd, os.fsencode(folder), MASK)
        if wd < 0:
            return False
        self._owner[wd] = name
        if name is not None:
            self._watched[name] = wd
        return True

    def watch(self, name: str, folder: Path) -> None:
        """Watch a model folder (again: a swapped-in folder is a new inode) before it is checked."""
        if self._fd < 0:
            return
        with self._lock:
            self._add_watch(name, folder)

    def generation(self, name: str) -> tuple | None:
        """A value that changes whenever the folder changes; None when it is not watched (compare files instead)."""
        if self._fd < 0:
            return None
        with self._lock:
            self._drain()
            if name not in self._watched:
                return None
            return self._overflows, self._counts.get(name, 0)

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return
            offset = 0
            while offset < len(data):
                wd, mask, _, size = EVENT.unpack_from(data, offset)
                raw = data[offset + EVENT.size: offset + EVENT.size + size].rstrip(b"\0")
                offset += EVENT.size + size
                if mask & IN_Q_OVERFLOW:
                    self._overflows += 1
                owner = self._owner.get(wd, "")
                name = os.fsdecode(raw) if owner is None else owner
                if name:
                    self._counts[name] = self._counts.get(name, 0) + 1
                if mask & IN_IGNORED:  # the watched folder is gone: its name is no longer watched
                    self._owner.pop(wd, None)
                    if owner and self._watched.get(owner) == wd:
                        del self._watched[owner]
