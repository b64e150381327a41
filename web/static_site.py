"""`tfjs-bridge serve --static DIR`: the page, the tf.js bundles and the model folders as a static site.

The site mirrors the Flask app's URL space (index.html, static/, vendor/, schema/, models/<name>/), and the page
uses relative URLs, so any static host serves it from any sub-path. There is no Python side: the page lists
the models from models/index.json and hides the Python column.
"""

import json
import re
import shutil
from pathlib import Path

from tfjs_bridge.common import files, schema
from tfjs_bridge.common.atomic import output_directory
from tfjs_bridge.common.contract import LIMITS, MODEL_JSON, IntegrityError, verify_open_folder
from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.ownership import Legacy, check_replaceable
from tfjs_bridge.common.paths import SCHEMA_FILE
from tfjs_bridge.verify import JS_DIR
from tfjs_bridge.web.store import ModelError, Store

WEB = Path(__file__).resolve().parent
# Sites written before the common marker carried this file and only these entries: a rebuild may replace them.
LEGACY_SITE = Legacy(re.compile(r"index\.html|static|verify|vendor|schema|models|_headers"), ".tfjs-bridge-site")

# Netlify and Cloudflare Pages read this file; other hosts are configured as the README says.
HEADERS = """/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
  Cross-Origin-Resource-Policy: same-origin
  X-Content-Type-Options: nosniff
/vendor/*
  Cache-Control: public, max-age=86400
"""


class SiteError(UserError):
    """A static site that cannot be written; one line for the user."""


def copy_models(models_dir: Path, dest: Path) -> list[dict]:
    """Copy every model folder's verified files (model.json, shards, metadata, goldens); return index entries."""
    store = Store(models_dir, models_dir / ".no-python")  # no counterparts: a static site has no Python side
    entries = []
    for name in store.names():
        try:
            entry = store.summary(name)  # a refused name or folder: ModelError, one line
            copy_verified(models_dir / name, dest / name)
        except ModelError as err:
            raise SiteError(str(err)) from None
        except (IntegrityError, files.FileRefused) as err:
            raise SiteError(f"model {name} refused: {name}/{err}") from None
        entries.append(entry)
    if not entries:
        raise SiteError(f"no model folders in {models_dir}: export one first (`tfjs-bridge export MODEL --out {models_dir}`)")
    return entries


def copy_verified(folder: Path, dest: Path) -> None:
    """Copy a model folder's files once they agree, read through the one open handle they were verified through."""
    with files.folder(folder, folder.name) as fd:
        meta = verify_open_folder(fd)
        dest.mkdir(parents=True)
        tflite = [meta["litert"]["file"]] if "file" in meta.get("litert", {}) else []
        for rel in [MODEL_JSON, schema.METADATA, meta["goldens"]["path"], *(f["path"] for f in meta["files"]), *tflite]:
            handle, _ = files.open_regular(fd, rel, max(LIMITS.values()))
            with handle, open(dest / rel, "wb") as copy:
                try:
                    shutil.copyfileobj(handle, copy)
                except OSError as err:  # a failed write() names no file: name the copy, as the error line must
                    raise OSError(err.errno, err.strerror, str(dest / rel)) from None


def write_site(app, out: Path) -> list[str]:
    """Write the site for app's models folder into out (atomically); return the model names."""
    from tfjs_bridge.web.views import LITERT_VENDOR, SHARED_JS, VENDOR

    check_replaceable(out, LEGACY_SITE)
    vendor = dict(VENDOR)
    missing = [rel for rel in VENDOR.values() if not (app.config["NODE_MODULES"] / rel).is_file()]
    if missing:
        raise SiteError(f"tf.js bundles missing from {app.config['NODE_MODULES']} ({missing[0]}): run `tfjs-bridge setup-node`")
    with output_directory(out, LEGACY_SITE) as tmp:
        entries = copy_models(app.config["MODELS_DIR"], tmp / "models")
        (tmp / "models" / "index.json").write_text(json.dumps({"models": entries}, indent=1) + "\n")
        if any(e["litert"] for e in entries):  # LiteRT.js's files (19 MB) only for a site with a model.tflite
            vendor.update(LITERT_VENDOR)
        with app.test_request_context("/"):
            from flask import render_template

            (tmp / "index.html").write_text(render_template("index.html", static_site=True))
        shutil.copytree(WEB / "static", tmp / "static")
        (tmp / "verify").mkdir()
        for name in SHARED_JS:
            shutil.copyfile(JS_DIR / name, tmp / "verify" / name)
        (tmp / "vendor").mkdir()
        for name, rel in vendor.items():
            (tmp / "vendor" / name).parent.mkdir(exist_ok=True)
            shutil.copyfile(app.config["NODE_MODULES"] / rel, tmp / "vendor" / name)
        (tmp / "schema").mkdir()
        shutil.copyfile(SCHEMA_FILE, tmp / "schema" / SCHEMA_FILE.name)
        (tmp / "_headers").write_text(HEADERS)
    return [e["name"] for e in entries]
