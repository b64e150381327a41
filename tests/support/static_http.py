"""Python's http.server for a static site, optionally with the two cross-origin isolation headers: `static_http.py DIR PORT [--isolate]`."""

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Isolated(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus COOP/COEP, as the site's _headers file asks of a host."""

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()


def main(folder: str, port: str, *flags: str) -> None:
    """Serve folder on 127.0.0.1:port until killed."""
    handler = Isolated if "--isolate" in flags else SimpleHTTPRequestHandler
    handler.log_message = lambda *a: None  # quiet: the test reads only what the page shows
    ThreadingHTTPServer(("127.0.0.1", int(port)), functools.partial(handler, directory=folder)).serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
