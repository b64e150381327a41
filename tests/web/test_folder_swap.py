"""A model folder swapped for a link to a folder holding a secret, again and again, while the server is asked for
its files: the secret is never served, because every file is opened relative to an open handle of the folder
(opened with O_NOFOLLOW), so a swap between a check and an open cannot redirect the read outside the root."""

import os
import threading
import time

import pytest

from tests.support import hostile
from tfjs_bridge.common import files
from tfjs_bridge.web import create_app

SECRET = b"TOP-SECRET-0123456789"
RACE_SECONDS = 2.0


def _secret_folder(folder) -> None:
    """A folder outside the root whose files have a model folder's names and hold the secret."""
    folder.mkdir()
    for name in ("model.json", "metadata.json", "goldens.json", "group1-shard1of1.bin"):
        (folder / name).write_bytes(SECRET)


def _swapper(models, secret, stop: threading.Event, swaps: list) -> None:
    """Swap models/m for a link to the secret folder and back until told to stop, counting the swaps."""
    real, link, parked = models / "m", models / ".link", models / ".parked"
    while not stop.is_set():
        os.rename(real, parked)
        os.symlink(secret, link)
        os.rename(link, real)  # the link takes the folder's name in one step
        os.unlink(real)
        os.rename(parked, real)
        swaps.append(1)


@pytest.fixture
def served(tmp_path):
    """A models root holding model folder m, a secret folder beside it, and a test client; (models, secret, client)."""
    models = tmp_path / "models"
    models.mkdir()
    hostile.shard_folder(models / "m", 1)
    _secret_folder(tmp_path / "secret")
    client = create_app({"TESTING": True, "MODELS_DIR": models, "ARTIFACTS_DIR": tmp_path / "none"}).test_client()
    return models, tmp_path / "secret", client


class _SwapAfterFirstLookup:
    """os as files.py sees it, but the folder is swapped for the link right after the first lookup: the worst moment."""

    def __init__(self, folder, secret):
        self.folder, self.secret, self.swapped = folder, secret, False

    def __getattr__(self, name):
        real = getattr(os, name)
        if name not in ("open", "stat", "lstat"):
            return real

        def looked_up(*args, **kwargs):
            result = real(*args, **kwargs)
            if not self.swapped:
                self.swapped = True
                os.rename(self.folder, self.folder.with_name(".parked"))
                os.symlink(self.secret, self.folder)
            return result
        return looked_up


@pytest.mark.parametrize("file", ["model.json", "group1-shard1of1.bin"])
def test_a_swap_right_after_the_folder_is_checked_cannot_redirect_the_read(served, monkeypatch, file):
    models, secret, client = served
    real = (models / "m" / file).read_bytes()
    swap = _SwapAfterFirstLookup(models / "m", secret)
    monkeypatch.setattr(files, "os", swap)
    with client.get(f"/models/m/{file}") as answer:
        assert swap.swapped and (models / "m").is_symlink()  # the folder was a link to the secret by the file's open
        assert answer.status_code == 200 and answer.data == real  # read from the folder that was opened


def test_a_folder_swapped_for_a_link_never_serves_what_the_link_reaches(served):
    models, secret, client = served
    stop, swaps, statuses = threading.Event(), [], {}
    thread = threading.Thread(target=_swapper, args=(models, secret, stop, swaps), daemon=True)
    thread.start()
    deadline = time.monotonic() + RACE_SECONDS
    try:
        while time.monotonic() < deadline:
            for url in ("/models/m/model.json", "/models/m/group1-shard1of1.bin", "/models/m/metadata.json", "/api/models"):
                with client.get(url) as answer:
                    assert SECRET not in answer.data, f"{url} served the file behind the link"
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    finally:
        stop.set()
        thread.join()
    served = statuses.get(200, 0)
    refused = sum(n for code, n in statuses.items() if code != 200)
    # The race ran: files were served from the real folder, and requests met the link (or no folder) and were refused.
    assert len(swaps) > 100 and served > 10 and refused > 10, (len(swaps), statuses)
    print(f"{len(swaps):,} swaps in {RACE_SECONDS} s; {sum(statuses.values()):,} requests by status {dict(sorted(statuses.items()))}; "
          "the secret behind the link never served")
