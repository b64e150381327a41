"""`tfjs-bridge serve` (or `python -m web.serve`): the page and API behind waitress, a production WSGI server.

Slow and costly clients are bounded here (see README "Reliability" for what one process withstands): many
open connections (waitress is asynchronous: an idle or slow socket holds no worker thread, only a slot of
the connection limit), idle ones dropped after --channel-timeout, headers and bodies capped before the app
sees them, and waitress's own error pages (malformed requests, oversized bodies) answered as JSON.
"""

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.task import ErrorTask

from tfjs_bridge.common import paths
from tfjs_bridge.common.cli import bounded_float, bounded_int, fail, folder_path
from tfjs_bridge.web import create_app
from tfjs_bridge.web.budget import Budget
from tfjs_bridge.web.lifecycle import run_until_signalled

CONNECTION_LIMIT = 1000  # waitress's default of 100 let 100 idle sockets lock everyone out
CHANNEL_TIMEOUT = 30  # seconds a connection may stay silent (waitress: 120)
MAX_HEADER_BYTES = 64 * 1024
FD_HEADROOM = 64  # descriptors beside the connections: listening socket, inotify, files being served


class JsonErrorTask(ErrorTask):
    """waitress's error response (400, 413, 431, 501, 500 before the app) as the API's JSON, not plain text."""

    def execute(self):
        error = self.request.error
        body = json.dumps({"error": f"{error.reason}: {error.body}"[:500], "status": error.code}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class StrictParser(HTTPRequestParser):
    """waitress's parser, refusing a request framed two ways (Content-Length and Transfer-Encoding: chunked).

    waitress 3.0.2 frames such a request by its chunks and keeps the connection open; a proxy in front that frames
    it by Content-Length then reads the rest as another request (smuggling). RFC 9112 section 6.1 lets a server
    reject it and requires the connection closed: a 400, whose error task closes it.
    """

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            raise ParsingError("Content-Length and Transfer-Encoding together (RFC 9112 section 6.1); send one")


class JsonErrorChannel(HTTPChannel):
    """A waitress connection whose protocol-level errors are JSON, and whose requests are framed one way only."""

    error_task_class = JsonErrorTask
    parser_class = StrictParser


def descriptors_for(connections: int) -> int:
    """Raise the open-file limit (soft, up to hard) to hold the connections; return how many connections fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = connections + FD_HEADROOM
    if soft < need and (hard == resource.RLIM_INFINITY or hard >= need):
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        soft = need
    return max(1, min(connections, soft - FD_HEADROOM))


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The serve parser: every number range-checked by argparse."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve exported models (page, tf.js, Python predictions) with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=bounded_int(0, 65535), default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--threads", type=bounded_int(1, 64), default=4, help="worker threads (default: 4)")
    parser.add_argument("--connection-limit", type=bounded_int(1, 100_000), default=CONNECTION_LIMIT, metavar="N",
                        help=f"open connections at most, idle ones included (default: {CONNECTION_LIMIT})")
    parser.add_argument("--channel-timeout", type=bounded_int(1, 3600), default=CHANNEL_TIMEOUT, metavar="S",
                        help=f"close a connection silent for S seconds (default: {CHANNEL_TIMEOUT})")
    parser.add_argument("--predict-timeout", type=bounded_float(0.1, 3600), default=Budget.predict_seconds, metavar="S",
                        help=f"answer 504 when a Python prediction takes over S seconds (default: {Budget.predict_seconds:g}); "
                             "each model may run --threads less one at once")
    parser.add_argument("--models", type=folder_path, help="folder of exported model folders (default: ./web_models)")
    parser.add_argument("--artifacts", type=folder_path, help="where the models' Python counterparts (SavedModels) are found by name (default: ./artifacts)")
    parser.add_argument("--static", type=folder_path, metavar="DIR",
                        help="write the page, tf.js bundles and models as a static site into DIR and exit (no Python side)")
    return parser


def main(argv: list[str] | None = None, prog: str = "tfjs-bridge serve") -> int:
    """Parse host, port and folders, print the URL, serve until SIGINT or SIGTERM."""
    args = build_parser(prog).parse_args(argv)
    # Folders named on the command line must exist; the defaults may not yet (the page then says how to make them).
    for flag, folder in (("--models", args.models), ("--artifacts", args.artifacts)):
        if folder is not None and not folder.is_dir():
            return fail(f"{flag} {folder} is not a folder")
    budget = Budget(per_model=max(1, args.threads - 1), predict_seconds=args.predict_timeout)
    app = create_app({"MODELS_DIR": (args.models or paths.MODELS).resolve(),
                      "ARTIFACTS_DIR": (args.artifacts or paths.ARTIFACTS).resolve(), "PREDICT_BUDGET": budget})
    if args.static is not None:
        return write_static(app, args.static)
    connections = descriptors_for(args.connection_limit)
    try:
        server = create_server(
            app, host=args.host, port=args.port, threads=args.threads, connection_limit=connections,
            channel_timeout=args.channel_timeout, cleanup_interval=max(1, min(30, args.channel_timeout // 2)),
            max_request_body_size=app.config["MAX_CONTENT_LENGTH"], max_request_header_size=MAX_HEADER_BYTES,
            asyncore_use_poll=True,  # select() cannot watch descriptors past 1024
        )
    except OSError as err:
        return fail(f"cannot listen on {args.host}:{args.port}: {err.strerror}")
    for listener in [server, *getattr(server, "map", {}).values()]:
        if hasattr(listener, "channel_class"):
            listener.channel_class = JsonErrorChannel
    limit_note = "" if connections == args.connection_limit else f" (connection limit lowered to {connections}: open-file limit)"
    print(f"tfjs bridge demo at http://{args.host}:{server.effective_port}/  (Ctrl-C to stop){limit_note}", flush=True)
    threading.Thread(target=preload, args=(app,), name="preload counterparts", daemon=True).start()
    run_until_signalled(server)  # Ctrl-C or SIGTERM: answers in flight are sent first (bounded)
    return 0


def preload(app) -> None:
    """Load the Python counterparts while the server already answers, so the page's first Python answer does not wait
    for TensorFlow; say when they are ready."""
    started = time.monotonic()
    ready, total = app.extensions["store"].preload()
    print(f"Python counterparts ready: {ready} of {total} models, in {time.monotonic() - started:.1f} s", flush=True)


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
