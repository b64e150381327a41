"""Which folders this tool may replace: the one guard every output (train, export, `serve --static`) passes.

A folder is "ours" only when every entry in it, at every depth, is one the tool wrote, as it wrote it: its marker
file lists them all, with each file's sha256. Anything else (a user's CNAME, .git/, NOTES.md, a file added inside
saved_model/, an index.html the user edited since) makes the command refuse in one line; nothing is ever moved
aside or deleted to make room.
"""

import dataclasses
import hashlib
import json
import os
import re
import stat
from pathlib import Path

from tfjs_bridge.common.errors import UserError

# Written into every output folder: its presence (and the paths it lists) is what makes a folder replaceable.
MARKER = ".tfjs-bridge"
TOOL = "tfjs-bridge"
# A folder holding more entries than this is not one of ours (and is not walked further).
MAX_ENTRIES = 100_000
HOW = "choose another output or move it away yourself"


@dataclasses.dataclass(frozen=True)
class Legacy:
    """What earlier versions wrote before the marker listed every path: names allowed at the top, and the file
    that must be there for them to count (None: the names alone suffice)."""

    names: re.Pattern
    requires: str | None = None


# Train and export outputs written before the marker existed hold only these names.
LEGACY_OUTPUT = Legacy(re.compile(r"saved_model|golden_inputs\.npy|golden_labels\.npy|test_set\.npz|run\.json"
                                  r"|model\.json|metadata\.json|goldens\.json|group\d+-shard\d+of\d+\.bin"))


class NotOurs(UserError):
    """An output path that holds something this tool did not write; replacing it would lose the user's files."""


def read_marker(folder: Path) -> dict | None:
    """The folder's marker, or None where it has none (or one this tool did not write)."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError, RecursionError):
        return None
    return marker if isinstance(marker, dict) and marker.get("tool") == TOOL else None


def listing(folder: Path) -> list[str]:
    """Every path under folder (links not followed), relative, folders ending in '/', the marker left out; sorted."""
    found = []
    for top, dirs, names in os.walk(folder, onerror=_raise):
        rel = os.path.relpath(top, folder)
        prefix = "" if rel == "." else rel + "/"
        linked = [d for d in dirs if os.path.islink(os.path.join(top, d))]  # os.walk lists links to folders as dirs
        dirs[:] = [d for d in dirs if d not in linked]
        found += [prefix + d + "/" for d in dirs] + [prefix + n for n in [*names, *linked]]
        if len(found) > MAX_ENTRIES:
            raise NotOurs(f"{folder} holds over {MAX_ENTRIES:,} entries, not an output of tfjs-bridge: refusing to "
                          f"replace it ({HOW})")
    return sorted(p for p in found if p != MARKER)


def _raise(err: OSError) -> None:
    raise err


def digest(path: Path) -> str | None:
    """The sha256 of a regular file (not followed if a link), or None where path is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return hashlib.file_digest(f, "sha256").hexdigest()


def write_marker(folder: Path, temp: str | None = None) -> None:
    """Record every path now in folder as the tool's, each file with its sha256 (temp: the temporary folder's own
    name, while it is one)."""
    folder = Path(folder)
    paths = [] if temp else listing(folder)
    marker = {"tool": TOOL, "entries": sorted({p.split("/")[0] for p in paths}), "paths": paths,
              "sha256": {p: digest(folder / p) for p in paths if not p.endswith("/")}}
    if temp:
        marker["temp"] = temp
    (folder / MARKER).write_text(json.dumps(marker) + "\n")


def strangers(target: Path, legacy: Legacy) -> list[str]:
    """Paths in target this tool did not write, by its marker (or, for an unmarked folder, the legacy rule)."""
    marker = read_marker(target)
    if marker is not None and isinstance(marker.get("paths"), list):
        found = listing(target)
        written = marker.get("sha256") if isinstance(marker.get("sha256"), dict) else {}  # older markers: names only
        changed = [f"{p} (changed since it was written)" for p in found if p in written and digest(target / p) != written[p]]
        return sorted(set(found) - set(marker["paths"])) + changed
    entries = {p.name for p in target.iterdir()} - {MARKER}
    if marker is not None and isinstance(marker.get("entries"), list):  # this tool's first markers: top-level names
        return sorted(entries - set(marker["entries"]))
    if entries and legacy.requires is not None and not (target / legacy.requires).is_file():
        return sorted(entries)
    # an empty folder loses nothing when replaced; older outputs of this tool hold only its file names
    return sorted(e for e in entries if not legacy.names.fullmatch(e) and e != legacy.requires)


def check_replaceable(target: Path, legacy: Legacy = LEGACY_OUTPUT) -> None:
    """NotOurs unless target is absent or a real folder (not a link) holding only what this tool wrote."""
    target = Path(target)
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_dir():
        kind = "a symbolic link, " if target.is_symlink() else ""
        raise NotOurs(f"{target} exists and is {kind}not a folder tfjs-bridge wrote: refusing to replace it ({HOW})")
    try:
        found = strangers(target, legacy)
    except OSError as err:
        raise NotOurs(f"{target}: cannot read {err.filename or target} ({err.strerror}): refusing to replace it") from None
    if found:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise NotOurs(f"{target} holds {shown}, which tfjs-bridge did not write: refusing to replace it ({HOW})")
