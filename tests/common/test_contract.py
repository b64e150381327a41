"""Names from the schema ($defs/folderName, $defs/fileName) are matched whole by every Python reader: Python's `$`
alone would accept a name with a trailing newline ("m\\n"), which the Node harness and the page refuse."""

import json

import pytest

from tests.support import hostile
from tfjs_bridge.common import contract, schema
from tfjs_bridge.web import create_app
from tfjs_bridge.web.store import ModelError, Store


@pytest.mark.parametrize("name", ["m\n", "m\n\n", "\nm", ".m", "a/b", "m" * 65, ""])
def test_folder_names_are_matched_whole(name):
    assert not contract.FOLDER_NAME.fullmatch(name) and not contract.FOLDER_NAME.search(name)


@pytest.mark.parametrize("name", ["shard.bin\n", ".hidden", "a/b.bin", "x" * 129])
def test_file_names_are_matched_whole(name):
    assert not contract.FILE_NAME.search(name)


def test_schema_patterns_refuse_a_trailing_newline():
    assert any(line.startswith('name: "m\\n" does not match') for line in schema.errors({"name": "m\n"}))
    assert any(line.startswith('files[0].path: "a.bin\\n" does not match')
               for line in schema.errors({"files": [{"path": "a.bin\n", "bytes": 1, "sha256": "0" * 64}]}))


def test_the_server_refuses_names_with_a_trailing_newline(tmp_path):
    hostile.shard_folder(tmp_path / "m", 1)
    client = create_app({"TESTING": True, "MODELS_DIR": tmp_path, "ARTIFACTS_DIR": tmp_path / "none"}).test_client()
    with client.get("/models/m/model.json") as good:
        assert good.status_code == 200 and "weightsManifest" in json.loads(good.data)
    for url in ("/models/m%0A/model.json", "/models/m/model.json%0A"):
        with client.get(url) as answer:
            assert answer.status_code == 404, url
    with pytest.raises(ModelError, match="unknown model") as err:
        Store(tmp_path, tmp_path).metadata("m\n")
    assert err.value.status == 404
