"""The exporter checks its folder with the readers' integrity rules (tfjs_bridge/common/contract.py) before swapping
it in: a folder readers would refuse is never written."""

import pytest

from tfjs_bridge.export import convert
from tfjs_bridge.export.errors import ExportError


def test_a_folder_readers_would_refuse_is_not_swapped_in(artifacts, tmp_path, monkeypatch):
    real = convert.build_metadata

    def wrong_digest(*args, **kwargs):
        meta = real(*args, **kwargs)
        meta["files"][0]["sha256"] = "0" * 64  # valid for the schema, false for the bytes
        return meta

    monkeypatch.setattr(convert, "build_metadata", wrong_digest)
    with pytest.raises(ExportError, match=r"^linear: readers would refuse the exported folder: group1-shard1of1\.bin: "
                                          r"sha256 mismatch, the weight shard's bytes were altered$"):
        convert.export_artifact(artifacts / "linear", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [], "nothing written, not even a temporary folder"
