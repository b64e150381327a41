"""The page, the exported model files and the pinned tf.js bundles, with caching and isolation headers."""

import mimetypes

from flask import Blueprint, abort, current_app, render_template, send_file, send_from_directory

from tfjs_bridge.common import files
from tfjs_bridge.common.paths import NAME, SCHEMA_FILE
from tfjs_bridge.web.store import FILE_NAME, LIMITS

bp = Blueprint("views", __name__)

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")

# Only these files of node_modules are served: the pinned tf.js bundles the page needs, never the tree.
VENDOR = {
    "tf.min.js": "@tensorflow/tfjs/dist/tf.min.js",
    "tf-backend-wasm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
    "tfjs-backend-wasm.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
}


@bp.after_app_request
def isolation_headers(response):
    """Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer) where browsers allow."""
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Embedder-Policy"] = "require-corp"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/")
def index():
    """Show the demo page."""
    return render_template("index.html")


@bp.get("/models/<name>/<path:filename>")
def model_file(name: str, filename: str):
    """Serve a regular file of a model folder, never through a link; revalidated on every use (`make demo` rewrites them)."""
    folder = current_app.config["MODELS_DIR"] / name
    if not NAME.match(name) or not FILE_NAME.match(filename):
        abort(404)
    try:
        files.check_folder(folder, name)
        handle, st = files.open_regular(folder / filename, max(LIMITS.values()), filename)
    except files.Missing:
        abort(404)
    except files.FileRefused as err:
        abort(403, description=f"{name}/{err}")
    response = send_file(handle, mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                         etag=f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}", last_modified=st.st_mtime, max_age=0)
    response.content_length = st.st_size
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/schema/model-folder.schema.json")
def model_folder_schema():
    """Serve the model-folder JSON Schema the page's loader checks every metadata.json and goldens.json against."""
    return send_from_directory(SCHEMA_FILE.parent, SCHEMA_FILE.name, max_age=0)


@bp.get("/vendor/<filename>")
def vendor(filename: str):
    """Serve a pinned tf.js bundle from node_modules (no CDN: the demo works offline)."""
    if filename not in VENDOR:
        abort(404)
    # Versions are pinned in package-lock.json, so a day's caching is safe; ETag revalidates after.
    return send_from_directory(current_app.config["NODE_MODULES"], VENDOR[filename], max_age=86400)
