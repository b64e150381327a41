"""The page, the exported model files and the pinned tf.js bundles, with caching and isolation headers."""

import collections
import gzip
import hashlib
import json
import mimetypes
import os
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file

from tfjs_bridge.common import files
from tfjs_bridge.common.contract import FILE_NAME, FOLDER_NAME, LIMITS
from tfjs_bridge.common.paths import SCHEMA_FILE
from tfjs_bridge.verify import JS_DIR

bp = Blueprint("views", __name__)

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")

# The verify stage's scripts the page imports (served at /verify/<name>, copied into static sites as verify/).
SHARED_JS = frozenset(p.name for p in JS_DIR.glob("*.js"))
# Only these files of node_modules are served: the pinned tf.js bundles the page needs, never the tree.
VENDOR = {
    "tf.min.js": "@tensorflow/tfjs/dist/tf.min.js",
    "tf-backend-wasm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
    "tfjs-backend-wasm.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
    "tf-backend-webgpu.min.js": "@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js",
    # The schema validator verify/js/schema.js imports: plain ES modules importing each other by relative URL.
    **{f"json-schema/{m}.js": f"@cfworker/json-schema/dist/esm/{m}.js" for m in (
        "index", "deep-compare-strict", "dereference", "format", "pointer", "types", "ucs2-length", "validate", "validator")},
}
# LiteRT.js for models with a model.tflite: its two ES modules (the page's import map names the second) and the
# single-threaded wasm builds it picks between (relaxed SIMD or compat), which need no cross-origin isolation.
LITERT_VENDOR = {
    "litert-core.js": "@litertjs/core/dist/index.js",
    "litert-wasm-utils.js": "@litertjs/wasm-utils/dist/index.js",
    **{f"litert_wasm{build}_internal.{ext}": f"@litertjs/core/wasm/litert_wasm{build}_internal.{ext}"
       for build in ("", "_compat") for ext in ("js", "wasm")},
}
# The page's import map: bare specifiers the shared modules import (Node finds them in node_modules), as URLs
# relative to the page ("./": an import map reads a value without it as another bare specifier).
IMPORTS = {"@cfworker/json-schema": "./vendor/json-schema/index.js",
           "@litertjs/wasm-utils": "./vendor/litert-wasm-utils.js"}  # what LiteRT.js's module imports by name
# Bundles and model files worth compressing: tf.min.js 1.47 MB → 0.37 MB gzipped, goldens.json ~12x smaller;
# float32 shards shrink only ~7% (the MLP: 318,056 → 294,783 bytes), but at no cost after the first request.
COMPRESSIBLE = (".js", ".wasm", ".json", ".bin")
# Level 6 is gzip's default: within 1% of level 9's size at a third of the time.
GZIP_LEVEL = 6
# Gzipped copies are kept in memory (64 files at most); larger files than this are sent as they are.
GZIP_MAX_BYTES = 16 * 1024 * 1024


@bp.after_app_request
def isolation_headers(response):
    """Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer) where browsers allow."""
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Embedder-Policy"] = "require-corp"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


_ENCODED: collections.OrderedDict = collections.OrderedDict()  # file identity → gzip bytes or None
ENCODED_KEPT, ENCODED_KEPT_BYTES = 4096, 64 * 1024 * 1024  # files, and gzipped bytes kept in memory in all


def encoded(handle, st: os.stat_result, filename: str) -> tuple[str, bytes | None]:
    """sha256 (streamed, cached per file identity: never the whole file in memory) and gzip bytes (None when gzip
    saves nothing, or for files over GZIP_MAX_BYTES) of an open file."""
    digest = files.sha256_open(handle, st)
    key = files.identity(st)
    if key in _ENCODED:
        _ENCODED.move_to_end(key)
        return digest, _ENCODED[key]
    packed = None
    if filename.endswith(COMPRESSIBLE) and st.st_size <= GZIP_MAX_BYTES:
        data = handle.read(GZIP_MAX_BYTES + 1)
        handle.seek(0)
        packed = gzip.compress(data, GZIP_LEVEL, mtime=0)
        packed = packed if len(packed) < len(data) and hashlib.sha256(data).hexdigest() == digest else None
    _ENCODED[key] = packed
    while len(_ENCODED) > ENCODED_KEPT or sum(len(p or b"") for p in _ENCODED.values()) > ENCODED_KEPT_BYTES:
        _ENCODED.popitem(last=False)
    return digest, packed


def send_encoded(handle, st: os.stat_result, filename: str, cache_control: str) -> Response:
    """An open file with a strong ETag (its sha256), gzipped when the client accepts it; 304 when the client has it."""
    digest, packed = encoded(handle, st, filename)
    gzipped = packed is not None and "gzip" in request.accept_encodings
    etag = f"{digest}-gz" if gzipped else digest  # a different body, so a different strong validator
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if request.if_none_match.contains(etag) or gzipped:
        handle.close()
        response = Response(status=304) if request.if_none_match.contains(etag) else Response(packed, mimetype=mimetype)
        if gzipped and response.status_code == 200:
            response.headers["Content-Encoding"] = "gzip"
    else:
        response = send_file(handle, mimetype=mimetype, conditional=False, etag=False)
        response.content_length = st.st_size
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept-Encoding")
    return response


def send_trusted(path: Path, cache_control: str) -> Response:
    """A file this project installed (the schema, a pinned tf.js bundle), sent like a model file; 404 if missing."""
    try:
        handle = open(path, "rb")  # noqa: SIM115  (send_encoded closes it, or the response does)
    except OSError:
        abort(404)
    return send_encoded(handle, os.fstat(handle.fileno()), path.name, cache_control)


@bp.app_context_processor
def import_map() -> dict:
    """The page's import map, as the JSON its <script type="importmap"> holds."""
    return {"import_map": json.dumps({"imports": IMPORTS})}


@bp.get("/")
def index():
    """Show the page."""
    return render_template("index.html", static_site=False, models_label=models_label(current_app.config["MODELS_DIR"]))


def models_label(folder: Path) -> str:
    """The models folder as the footer names it: relative to the working folder where it lies inside it."""
    try:
        return f"{folder.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{folder}/"


@bp.get("/models/<name>/<path:filename>")
def model_file(name: str, filename: str):
    """Serve a regular file of a model folder, never through a link; revalidated on every use (a re-export rewrites
    files under the same names, so they cannot be cached for long), which costs a 304 and no bytes while unchanged."""
    folder = current_app.config["MODELS_DIR"] / name
    if not FOLDER_NAME.fullmatch(name) or not FILE_NAME.fullmatch(filename):
        abort(404)
    try:
        # The file is looked up in the folder opened here (never a link), whatever its path points to later.
        with files.folder(folder, name) as fd:
            handle, st = files.open_regular(fd, filename, max(LIMITS.values()))
    except files.Missing:
        abort(404)
    except files.FileRefused as err:
        abort(403, description=f"{name}/{err}")
    return send_encoded(handle, st, filename, "no-cache")


@bp.get("/schema/model-folder.schema.json")
def model_folder_schema():
    """Serve the model-folder JSON Schema the page's loader checks every metadata.json and goldens.json against."""
    return send_trusted(SCHEMA_FILE, "no-cache")


@bp.get("/verify/<filename>")
def verify_script(filename: str):
    """Serve a script the page shares with the Node harness (loader, schema check, parity rules, table)."""
    if filename not in SHARED_JS:
        abort(404)
    return send_trusted(JS_DIR / filename, "no-cache")


@bp.get("/vendor/<path:filename>")
def vendor(filename: str):
    """Serve a pinned tf.js or LiteRT.js file from node_modules (no CDN: the demo works offline)."""
    rel = VENDOR.get(filename) or LITERT_VENDOR.get(filename)
    if rel is None:
        abort(404)
    # Versions are pinned in package-lock.json, so a day's caching is safe; the ETag revalidates after.
    return send_trusted(current_app.config["NODE_MODULES"] / rel, "public, max-age=86400")
