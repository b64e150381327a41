"""The page, the exported model files and the pinned tf.js bundles, with caching and isolation headers."""

import mimetypes

from flask import Blueprint, abort, current_app, render_template, send_from_directory

from tfjs_bridge.common.paths import NAME, SCHEMA_FILE

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
    """Serve a file of an exported model; revalidated on every use, since `make demo` rewrites them."""
    if not NAME.match(name):
        abort(404)
    response = send_from_directory(current_app.config["MODELS_DIR"] / name, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/schema/model-folder.schema.json")
def model_folder_schema():
    """Serve the model-folder JSON Schema the page's loader checks every metadata.json and goldens.json against."""
    response = send_from_directory(SCHEMA_FILE.parent, SCHEMA_FILE.name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/vendor/<filename>")
def vendor(filename: str):
    """Serve a pinned tf.js bundle from node_modules (no CDN: the demo works offline)."""
    if filename not in VENDOR:
        abort(404)
    # Versions are pinned in package-lock.json, so a day's caching is safe; ETag revalidates after.
    return send_from_directory(current_app.config["NODE_MODULES"], VENDOR[filename], max_age=86400)
