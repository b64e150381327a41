"""SIGTERM drains requests in flight (bounded), like Ctrl-C, and a request framed both by Content-Length and by
Transfer-Encoding is refused with the connection closed (RFC 9112 section 6.1) (issue 20, items 7 and 8)."""

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tfjs_bridge.common.paths import CHECKOUT

# A waitress server as web.serve builds it (JSON errors, strict framing) over an app whose answer takes SLEEP s.
CHILD = """
import sys, time
sys.path.insert(0, '.')
from waitress import create_server
from tfjs_bridge.web.lifecycle import run_until_signalled
from tfjs_bridge.web.serve import JsonErrorChannel

def app(environ, start_response):
    time.sleep(float(environ['PATH_INFO'].strip('/') or 0))
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'answered']

server = create_server(app, host='127.0.0.1', port=0, threads=2, asyncore_use_poll=True)
server.channel_class = JsonErrorChannel
print(server.effective_port, flush=True)
print('drained in %.2f s' % run_until_signalled(server, drain_seconds={drain}), flush=True)
"""


@contextlib.contextmanager
def start(drain: float):
    """The child server; yields (process, port), and leaves no process behind."""
    with subprocess.Popen([sys.executable, "-c", CHILD.format(drain=drain)], cwd=CHECKOUT, stdout=subprocess.PIPE,
                          text=True) as proc:
        try:
            yield proc, int(proc.stdout.readline())
        finally:
            proc.kill()


def get_in_background(port: int, path: str) -> dict:
    """GET path in a thread; the returned dict gets the answer (or the error) when it comes."""
    result = {}

    def call():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
                result["answer"] = (answer.status, answer.read())
        except OSError as err:
            result["answer"] = repr(err)
    result["thread"] = threading.Thread(target=call)
    result["thread"].start()
    return result


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_drains_the_requests_in_flight(signum):
    with start(drain=8) as (proc, port):
        pending = get_in_background(port, "/1.5")
        time.sleep(0.5)  # the request is in a worker thread now
        sent = time.monotonic()
        proc.send_signal(signum)
        pending["thread"].join(30)
        assert proc.wait(30) == 0
        took = time.monotonic() - sent
        report = proc.stdout.read().strip()
    assert pending["answer"] == (200, b"answered")
    assert took < 4, took
    print(f"{signal.Signals(signum).name}: in-flight answer sent, exit 0 after {took:.2f} s; {report}")


def test_the_drain_is_bounded():
    with start(drain=1) as (proc, port):
        pending = get_in_background(port, "/30")
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        took = time.monotonic() - sent
    assert took < 4, took  # the drain's 1 s, a loop turn and the thread shutdown; never the request's 30 s
    pending["thread"].join(60)


def test_content_length_with_transfer_encoding_is_refused_and_closed():
    with start(drain=1) as (proc, port), socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /0 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"1\r\n0\r\n0\r\n\r\nGET /0 HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):  # ends only when the server closes the connection
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"Connection: close" in head
    assert "Content-Length and Transfer-Encoding" in json.loads(payload)["error"]
    assert data.count(b"HTTP/1.1") == 1  # the pipelined request after it was never answered: no desync
