"""The page imports the schema validator (@cfworker/json-schema) by its npm name through an import map; Flask serves
its pinned ES modules from node_modules (whitelisted, as the tf.js bundles are) and static sites copy them."""

import json
import re

import pytest

from tests.support import hostile
from tfjs_bridge.web import create_app
from tfjs_bridge.web.serve import main as serve_main
from tfjs_bridge.web.views import IMPORTS, VENDOR


@pytest.fixture
def app(tmp_path):
    """The app over a models root holding one valid folder."""
    (tmp_path / "models").mkdir()
    hostile.shard_folder(tmp_path / "models" / "m", 1)
    return create_app({"TESTING": True, "MODELS_DIR": tmp_path / "models", "ARTIFACTS_DIR": tmp_path / "none"})


def import_map(html: str) -> dict:
    """The page's import map, parsed; it must come before the first module script."""
    found = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert found and html.index('type="importmap"') < html.index('type="module"')
    return json.loads(found.group(1))


def test_the_page_maps_the_validator_to_a_served_module(app):
    client = app.test_client()
    mapped = import_map(client.get("/").get_data(as_text=True))["imports"]
    assert mapped == IMPORTS == {"@cfworker/json-schema": "./vendor/json-schema/index.js",
                                 "@litertjs/wasm-utils": "./vendor/litert-wasm-utils.js"}
    # A value not starting with "./", "../" or "/" is read as a bare specifier and the mapping ignored (Chromium).
    assert all(url.startswith(("./", "../", "/")) for url in mapped.values())
    for name in (n for n in VENDOR if n.startswith("json-schema/")):
        with client.get(f"/vendor/{name}") as answer:
            assert answer.status_code == 200 and answer.mimetype == "text/javascript", name
    # Its relative imports resolve to whitelisted files; nothing else of node_modules is reachable.
    with client.get("/vendor/json-schema/index.js") as index:
        imported = re.findall(r"from '\./([\w-]+\.js)'", index.get_data(as_text=True))
    assert imported and all(f"json-schema/{rel}" in VENDOR for rel in imported)
    for url in ("/vendor/json-schema/package.json", "/vendor/json-schema/../tf.min.js", "/vendor/@cfworker/json-schema/dist/esm/index.js"):
        with client.get(url) as answer:
            assert answer.status_code == 404, url


def test_a_static_site_carries_the_import_map_and_the_modules(app, tmp_path, capsys):
    site = tmp_path / "site"
    assert serve_main(["--models", str(app.config["MODELS_DIR"]), "--static", str(site)]) == 0
    assert import_map((site / "index.html").read_text())["imports"] == IMPORTS
    for name in (n for n in VENDOR if n.startswith("json-schema/")):
        assert (site / "vendor" / name).is_file(), name
    capsys.readouterr()
