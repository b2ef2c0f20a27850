"""moto's server as the local cloud runs it: kept-alive HTTP/1.1 connections, the backend
lookup cached per credential scope, DynamoDB requests one at a time (so a conditional write is
decided atomically, as on AWS), and an optional meter of what each request would cost."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from typing import Any

from local.cloud import emulator
from local.cloud.meter import SCOPE, Meter, MeteringMiddleware

log = logging.getLogger("local.cloud")

SENT_EMAILS_PATH = "/local-cloud/ses/sent-emails.json"
"""The emails moto's SES holds, read from its backends alone. moto's own ``/moto-api/data.json``
serializes every model of every service, which after a long run takes longer than any client
waits, and starves every other request meanwhile."""


def sent_emails() -> list[dict[str, Any]]:
    """Every email moto's SES holds (oldest first, in the shape of moto's data dump)."""
    from moto.ses.models import ses_backends

    found: list[dict[str, Any]] = []
    for _account, regions in ses_backends.items():
        for _region, backend in regions.items():
            for message in backend.sent_messages:
                found.append({"id": getattr(message, "id", None), "source": getattr(message, "source", None),
                              "destinations": getattr(message, "destinations", None) or {},
                              "subject": getattr(message, "subject", None), "body": getattr(message, "body", None)})
    return found


def _moto_pieces() -> tuple[type, Any]:
    """moto's dispatcher and a server for it, made fit for thousands of calls a minute.

    - moto finds the backend of every request under one lock, walking its module list and URL
      patterns; signed requests name their service and region in the credential scope, so the
      answer is cached per scope, host and first path segment.
    - DynamoDB requests run one at a time, so a reader never sees half of an update.
    - werkzeug's development server closes the connection after every answer, so every boto3
      call paid a new TCP connection and a new server thread. ``serve`` is a plain HTTP/1.1
      server with kept-alive connections that hands each request to the WSGI application.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import unquote_to_bytes, urlsplit

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class CachedDispatcher(DomainDispatcherApplication):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._by_scope: dict[tuple[str, str, str], Any] = {}
            self._dynamodb = threading.Lock()

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            # DynamoDB applies each request to one item atomically; moto edits the stored item
            # in place, action by action, so a read running beside an update could see half of
            # it (a state set, the field set with it not yet). One request at a time, as a whole.
            scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            if scope and scope.group(1) == "dynamodb":
                with self._dynamodb:
                    return [b"".join(super().__call__(environ, start_response))]
            return super().__call__(environ, start_response)

        def get_application(self, environ: dict[str, Any]) -> Any:
            scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            path = environ.get("PATH_INFO", "")
            if not scope or path.startswith(("/moto-api", "/latest/")):
                return super().get_application(environ)
            # SES and SES v2 share a scope and a host and differ by path: the first segment is in the key
            key = (scope.group(0), environ.get("HTTP_HOST", ""), path.split("/", 2)[1] if "/" in path else "")
            app = self._by_scope.get(key)
            if app is None:
                app = self._by_scope[key] = super().get_application(environ)
            return app

    def serve(host: str, port: int, app: Any) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                if self.headers.get("Transfer-Encoding"):  # no chunked request bodies here
                    self.send_error(411, "a Content-Length is required")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                environ: dict[str, Any] = {
                    "REQUEST_METHOD": self.command,
                    "SCRIPT_NAME": "",
                    "PATH_INFO": unquote_to_bytes(split.path).decode("latin-1"),
                    "QUERY_STRING": split.query,
                    "SERVER_NAME": host,
                    "SERVER_PORT": str(port),
                    "SERVER_PROTOCOL": self.request_version,
                    "REMOTE_ADDR": self.client_address[0],
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(length),
                    "wsgi.version": (1, 0),
                    "wsgi.url_scheme": "http",
                    "wsgi.input": io.BytesIO(body),
                    "wsgi.errors": sys.stderr,
                    "wsgi.multithread": True,
                    "wsgi.multiprocess": False,
                    "wsgi.run_once": False,
                }
                for name, value in self.headers.items():
                    key = "HTTP_" + name.upper().replace("-", "_")
                    if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                        environ[key] = f"{environ[key]},{value}" if key in environ else value
                answer: list[Any] = []

                def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                    answer[:] = [status, headers]
                    return lambda _data: None

                try:
                    if split.path == SENT_EMAILS_PATH:
                        data = json.dumps(sent_emails()).encode()
                        status, headers = "200 OK", [("Content-Type", "application/json")]
                    else:
                        chunks = app(environ, start_response)
                        data = b"".join(chunks)
                        if hasattr(chunks, "close"):
                            chunks.close()
                        status, headers = answer
                except Exception as exc:  # an emulator bug answers 500, the connection stays usable
                    log.exception("the AWS emulator failed on %s %s", self.command, split.path)
                    data = json.dumps({"message": f"emulator error: {type(exc).__name__}"}).encode()
                    status, headers = "500 Internal Server Error", [("Content-Type", "application/json")]
                code, _, reason = status.partition(" ")
                try:
                    self.send_response(int(code), reason)
                    for name, value in headers:
                        if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting: its retry decides
                    log.info("a client hung up before its answer (%s %s)", self.command, split.path)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server

    return CachedDispatcher, serve


class MotoServer:
    """moto on a local port as the local cloud runs it: the faster queries, the kept-alive
    server, one DynamoDB request at a time (so conditional writes are atomic, as on AWS) and,
    when a meter is given, the metering middleware in front. The test suite's AWS endpoint is
    this same server."""

    def __init__(self, meter: Meter | None = None, *, ip_address: str, port: int, verbose: bool = False) -> None:
        from moto.server import ThreadedMotoServer

        meter_ = meter

        class _Server(ThreadedMotoServer):
            def _server_entry(self) -> None:
                from moto.moto_server.werkzeug_app import create_backend_app

                emulator.install()
                dispatcher, serve = _moto_pieces()
                app = dispatcher(create_backend_app)
                self._server = serve(
                    self._ip_address, self._port, app if meter_ is None else MeteringMiddleware(app, meter_)
                )
                self._server_ready_event.set()
                self._server.serve_forever()

        self._inner = _Server(ip_address=ip_address, port=port, verbose=verbose)

    def start(self) -> None:
        self._inner.start()

    def stop(self) -> None:
        self._inner.stop()
