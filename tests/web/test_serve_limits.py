"""Slow, idle and costly clients against the production server (`python -m web.serve` on 127.0.0.1 only):
normal requests keep being answered within a bound, and every protocol-level error is JSON."""

import concurrent.futures
import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.support.server import serving
from tfjs_bridge.web.serve import CONNECTION_LIMIT


@pytest.fixture(scope="module")
def server(exported, artifacts):
    with serving(exported, artifacts) as address:
        yield address


def predict(address, body: bytes = b'{"inputs": [1, 2, 3]}', model: str = "linear", timeout: float = 10) -> tuple[int, float, bytes]:
    """POST a prediction; (status, seconds, body)."""
    req = urllib.request.Request(f"http://{address[0]}:{address[1]}/api/predict/{model}", data=body,
                                 headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, time.perf_counter() - started, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - started, err.read()


def p50(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


@pytest.mark.slow
def test_slow_and_idle_sockets_up_to_the_limit_do_not_stop_normal_requests(server):
    count = CONNECTION_LIMIT - 8  # the stated limit, less room for the requests measured
    assert predict(server)[0] == 200  # the first prediction loads TensorFlow and the SavedModel: not measured
    sockets, stop = [], threading.Event()
    try:
        for i in range(count):
            s = socket.create_connection(server, timeout=5)
            if i % 2:  # slowloris: a request line, then a header byte now and then, never finished
                s.sendall(b"POST /api/predict/linear HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            sockets.append(s)

        def trickle():
            while not stop.wait(0.5):
                for s in sockets[1::2]:
                    with contextlib.suppress(OSError):
                        s.sendall(b"a")
        threading.Thread(target=trickle, daemon=True).start()
        times = []
        for _ in range(20):
            status, seconds, _ = predict(server, timeout=5)
            assert status == 200
            times.append(seconds)
    finally:
        stop.set()
        for s in sockets:
            s.close()
    assert max(times) < 2.0, times
    print(f"{count} open sockets ({count // 2} idle, {count - count // 2} slowloris): 20 normal predictions all "
          f"answered, p50 {p50(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


@pytest.mark.slow
def test_idle_sockets_beyond_the_limit_are_dropped_after_the_channel_timeout(exported, artifacts):
    with serving(exported, artifacts, "--connection-limit", "40", "--channel-timeout", "1") as address:
        assert predict(address, timeout=60)[0] == 200  # loads the SavedModel first: only the wait for a slot is timed
        idle = [socket.create_connection(address, timeout=5) for _ in range(40)]
        try:
            time.sleep(0.3)
            status, seconds, _ = predict(address, timeout=15)
        finally:
            for s in idle:
                s.close()
    assert status == 200 and seconds < 5, seconds
    print(f"40 idle sockets filling a 40-connection server: the next request answered after {seconds:.1f} s "
          "(idle ones closed by the 1 s channel timeout)")


@pytest.mark.slow
def test_costly_bodies_do_not_starve_normal_requests(server):
    rows = b'{"inputs": [' + b",".join([b"[0,0,0]"] * 130_000) + b"]}"  # 1 MiB of rows
    digits = b'{"inputs": [' + b",".join([b"[" + b",".join([b"0"] * 28) + b"]"] * 28 * 160) + b"]}"
    assert len(rows) < 2**20 and len(digits) < 2**20
    baseline = [predict(server)[1] for _ in range(30)]
    stop, refused = threading.Event(), []

    def attack(body, model):
        while not stop.is_set():
            status, _, answer = predict(server, body, model)
            refused.append(status == 413 and json.loads(answer)["status"] == 413)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for i in range(8):
            pool.submit(attack, *((rows, "linear") if i % 2 else (digits, "mlp")))
        time.sleep(0.5)
        loaded = []
        for _ in range(30):
            status, seconds, _ = predict(server)
            assert status == 200
            loaded.append(seconds)
        stop.set()
    assert refused and all(refused)
    assert p50(loaded) < max(0.1, 10 * p50(baseline)), (p50(baseline), p50(loaded))
    print(f"8 clients sending 1 MiB costly bodies ({len(refused)} sent, all 413 JSON before parsing): normal "
          f"prediction p50 {p50(baseline) * 1000:.1f} ms alone, {p50(loaded) * 1000:.1f} ms under attack")


RAW = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "bad Content-Length": b"POST /api/predict/linear HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "2 MiB declared body": b"POST /api/predict/linear HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n",
    "70 KB of headers": b"GET /api/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    "unknown transfer coding": b"POST /api/predict/linear HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "bare LF in header": b"GET /api/models HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",
}


def raw(address, request: bytes) -> tuple[int, bytes]:
    """Send bytes, read the whole answer; (status, body)."""
    data = b""
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(request)
        # The server answers some errors (431) before reading all that was sent, then closes: a reset may follow
        # the answer, so read until either.
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_protocol_errors_options_and_405_are_json(server):
    for name, request in RAW.items():
        status, body = raw(server, request)
        assert 400 <= status < 600 and json.loads(body)["status"] == status, (name, status, body[:200])
    status, body = raw(server, b"OPTIONS /api/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 204 and body == b""
    status, body = raw(server, b"PUT /api/models HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert status == 405 and json.loads(body)["status"] == 405
    print(f"protocol level: {len(RAW)} malformed requests answered as JSON errors; OPTIONS 204, PUT 405 JSON")
