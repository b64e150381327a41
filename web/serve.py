"""`tfjs-bridge serve` (or `python -m web.serve`): the page and API behind waitress, a production WSGI server."""

import argparse
import sys
from pathlib import Path

from waitress import create_server

from tfjs_bridge.common import paths
from tfjs_bridge.web import create_app


def main(argv: list[str] | None = None, prog: str = "tfjs-bridge serve") -> int:
    """Parse host, port and folders, print the URL, serve until interrupted."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve exported models (page, tf.js, Python predictions) with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default: 4)")
    parser.add_argument("--models", type=Path, help="folder of exported model folders (default: ./web_models)")
    parser.add_argument("--artifacts", type=Path, help="where the models' Python counterparts (SavedModels) are found by name (default: ./artifacts)")
    parser.add_argument("--static", type=Path, metavar="DIR",
                        help="write the page, tf.js bundles and models as a static site into DIR and exit (no Python side)")
    args = parser.parse_args(argv)
    # Folders named on the command line must exist; the defaults may not yet (the page then says how to make them).
    for flag, folder in (("--models", args.models), ("--artifacts", args.artifacts)):
        if folder is not None and not folder.is_dir():
            print(f"error: {flag} {folder} is not a folder", file=sys.stderr)
            return 2
    if args.threads < 1:
        print("error: --threads must be at least 1", file=sys.stderr)
        return 2
    app = create_app({"MODELS_DIR": (args.models or paths.MODELS).resolve(),
                      "ARTIFACTS_DIR": (args.artifacts or paths.ARTIFACTS).resolve()})
    if args.static is not None:
        return write_static(app, args.static)
    try:
        server = create_server(app, host=args.host, port=args.port, threads=args.threads)
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"tfjs bridge demo at http://{args.host}:{server.effective_port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


def write_static(app, out: Path) -> int:
    """Write the static site; one line on success or failure."""
    from tfjs_bridge.common.errors import UserError
    from tfjs_bridge.web.static_site import write_site

    try:
        names = write_site(app, out)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot write {err.filename or out}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(f"static site with {len(names)} models ({', '.join(names)}) in {out}/: serve it with any static host "
          "(COOP/COEP headers: see its _headers file)")
    return 0


if __name__ == "__main__":  # python -m web.serve from a checkout
    sys.exit(main(prog="python -m web.serve"))
