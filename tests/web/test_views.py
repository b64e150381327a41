"""What the page is served with: gzip and strong ETags for bundles and model files, and the static site export."""

import gzip
import hashlib
import json
import shutil

import pytest

from tfjs_bridge.web.serve import main as serve_main


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.mark.parametrize("url", ["/vendor/tf.min.js", "/vendor/tfjs-backend-wasm-simd.wasm", "/models/mlp/group1-shard1of1.bin"])
def test_gzip_when_accepted_with_strong_etags(client, url):
    with client.get(url) as plain, client.get(url, headers={"Accept-Encoding": "gzip, deflate"}) as packed:
        check_encodings(client, url, plain, packed)


def check_encodings(client, url, plain, packed):
    """The gzipped body is the plain one compressed; each has its own sha256-based ETag and revalidates to 304."""
    assert plain.headers.get("Content-Encoding") is None and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data)
    # Strong validators: the content's sha256, and another one for the gzipped body.
    digest = hashlib.sha256(plain.data).hexdigest()
    assert plain.headers["ETag"] == f'"{digest}"' and packed.headers["ETag"] == f'"{digest}-gz"'
    assert "Accept-Encoding" in packed.headers["Vary"]
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_shard_etag_is_the_sha256_metadata_records(client, exported):
    meta = json.loads((exported / "mlp" / "metadata.json").read_text())
    for record in meta["files"]:
        with client.get(f"/models/mlp/{record['path']}") as response:
            assert response.headers["ETag"] == f'"{record["sha256"]}"'
            assert response.headers["Cache-Control"] == "no-cache"  # same names after a re-export: always revalidate


def test_footer_names_the_models_folder(client, exported):
    assert f"<code>{exported}/</code>" in client.get("/").get_data(as_text=True)


def test_static_site(exported, tmp_path, capsys):
    site = tmp_path / "site"
    assert serve_main(["--models", str(exported), "--static", str(site)]) == 0
    index = json.loads((site / "models" / "index.json").read_text())
    assert [m["name"] for m in index["models"]] == ["linear", "mlp"]
    assert all(m["python"] is False for m in index["models"])
    html = (site / "index.html").read_text()
    assert 'data-site="static"' in html and 'src="vendor/tf.min.js"' in html
    for rel in ["vendor/tf.min.js", "vendor/tf-backend-webgpu.min.js", "static/js/app.js", "schema/model-folder.schema.json",
                "models/mlp/model.json", "models/mlp/goldens.json", "_headers"]:
        assert (site / rel).is_file(), rel
    assert "Cross-Origin-Embedder-Policy: require-corp" in (site / "_headers").read_text()
    assert serve_main(["--models", str(exported), "--static", str(site)]) == 0  # a rebuild replaces its own site
    capsys.readouterr()


def test_static_site_refusals(exported, tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert serve_main(["--models", str(exported), "--static", str(foreign)]) == 2
    assert "notes.txt, which tfjs-bridge did not write" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "keep me"
    broken = tmp_path / "models"
    shutil.copytree(exported, broken)
    shard = broken / "mlp" / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-4])
    assert serve_main(["--models", str(broken), "--static", str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model mlp refused: mlp/group1-shard1of1.bin") and err.count("\n") == 1
    assert not (tmp_path / "site").exists()
