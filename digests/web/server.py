"""Serving the app with uvicorn: in the foreground for ``mildwatch web``, or in a background
thread for tests, benchmarks and screenshots (``running``), on loopback.

uvicorn's access log is off (it prints request paths, and a subscriber's path holds their
token); ``digests.web.app`` logs each request with the token redacted instead. Logging is
left to the caller's configuration (``log_config=None``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from digests.web.app import redact

STARTUP_TIMEOUT_SECONDS = 10
UVICORN_LOGGERS = ("uvicorn.access", "uvicorn.error")


class RedactTokens(logging.Filter):
    """Replaces a subscriber's token in any uvicorn log line with ``***``, in case its access
    log is turned on again (a ``--log-config``, a test's log capture)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=True,  # the admin's reverse proxy on this machine says who asked
        forwarded_allow_ips="127.0.0.1",
        lifespan="off",
    )


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve until interrupted (SIGINT/SIGTERM stop it cleanly)."""
    uvicorn.Server(server_config(app, host, port)).run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextmanager
def running(app: ASGIApp, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` in a thread for the duration of the block; yields its base URL."""
    port = port or free_port(host)
    server = uvicorn.Server(server_config(app, host, port))
    thread = threading.Thread(target=server.run, name="mildwatch-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the web server did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
