"""Running waitress until SIGINT or SIGTERM, then draining: requests in flight are answered (bounded), none dropped.

waitress's own run() stops its loop at Ctrl-C and gives worker threads 5 s, but answers written after the loop stopped
are never sent, and SIGTERM (what systemd, Docker and Kubernetes send) kills it outright. Here either signal stops
new connections, keeps the loop sending until every started request's answer is out (DRAIN_SECONDS at most), then
stops the threads.
"""

import signal
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

DRAIN_SECONDS = 8.0  # within Docker's and Kubernetes' 10 s and 30 s grace before SIGKILL
TICK = 0.05  # seconds per loop turn while draining


def _socket_map(server) -> dict:
    return getattr(server, "map", None) or server._map


def busy(server) -> bool:
    """Whether a request is queued, running, or has an answer not yet sent."""
    tasks = server.task_dispatcher
    channels = [c for c in list(_socket_map(server).values()) if isinstance(c, HTTPChannel)]
    return bool(tasks.active_count or tasks.queue or any(c.requests or c.total_outbufs_len for c in channels))


def run_until_signalled(server, drain_seconds: float = DRAIN_SECONDS) -> float:
    """Serve until SIGINT or SIGTERM, then drain; return the seconds the drain took."""
    stopping: list[float] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: stopping.append(time.monotonic()))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    socket_map, timeout = _socket_map(server), server.adj.asyncore_loop_timeout
    try:
        while not stopping:
            wasyncore.loop(timeout=timeout, map=socket_map, use_poll=True, count=1)
        for listener in [c for c in list(socket_map.values()) if isinstance(c, BaseWSGIServer)]:
            wasyncore.dispatcher.close(listener)  # no new connections; the trigger stays to wake the loop
        deadline = stopping[0] + drain_seconds
        while busy(server) and time.monotonic() < deadline:
            wasyncore.loop(timeout=TICK, map=socket_map, use_poll=True, count=1)
        server.task_dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return time.monotonic() - stopping[0]
