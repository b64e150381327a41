"""`python -m web.serve`: the demo behind waitress, a production WSGI server (`make serve`)."""

import argparse
import sys

from waitress import create_server

from web import create_app


def main(argv: list[str] | None = None) -> int:
    """Parse host/port, print the URL, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m web.serve", description="Serve the tfjs bridge demo with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default: 4)")
    args = parser.parse_args(argv)
    try:
        server = create_server(create_app(), host=args.host, port=args.port, threads=args.threads)
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"tfjs bridge demo at http://{args.host}:{server.effective_port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
