"""A very small HTTP server kit on the standard library, shared by the sandbox platforms and
the local gateway: a route table with ``{param}`` segments, a request object that keeps the
raw body bytes (signatures depend on them), and helpers for JSON, HTML and redirects.

Servers bind to 127.0.0.1 only and run in a daemon thread.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    raw_query: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")
    all_headers = {"content-type": "application/json"}
    all_headers.update(headers or {})
    return Response(status, body, all_headers)


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode("utf-8"), {"content-type": "text/html; charset=utf-8"})


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, b"", {"location": location})


Handler = Callable[[Request], Response]


class Router:
    """Routes ``(method, path)`` to handlers; ``{name}`` matches one segment, ``{name+}`` the rest."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = "^"
        for part in re.split(r"(\{[^}]+\})", pattern):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        self._routes.append((method.upper(), re.compile(regex + "$"), handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorator

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        path_matched = False
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found:
                path_matched = True
                if route_method in (method, "ANY"):
                    return handler, found.groupdict()
        if path_matched:
            return _method_not_allowed, {}
        return None


class _QuietServer(ThreadingHTTPServer):
    """A threaded server that counts clients hanging up mid-answer instead of printing a trace.

    A client that gives up (its read timeout passed, it retries) closes the socket while the
    answer is being written; that is the client's business, not a server fault. Anything else
    still gets one line naming the error type, never a stack trace.
    """

    daemon_threads = True
    client_disconnects = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            self.client_disconnects += 1
            return
        print(f"local server: {type(error).__name__} while serving a request", file=sys.stderr)


def _method_not_allowed(_request: Request) -> Response:
    return json_response({"error": "method not allowed"}, 405)


class Server:
    """A threaded HTTP server on 127.0.0.1 serving one :class:`Router` (or any callable)."""

    def __init__(self, app: Router | Handler, port: int = 0, name: str = "server") -> None:
        self.app = app
        self.name = name
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # With Nagle on, a client's delayed ACK would hold an answer on a kept-alive
            # connection for ~40 ms.
            disable_nagle_algorithm = True
            # The answer's head and body leave in one write (flushed after each request): every
            # write gives up Python's lock, and taking it back behind a busy thread costs up to
            # a switch interval.
            wbufsize = 1 << 16

            def log_message(self, format: str, *args: Any) -> None:
                return  # request lines would carry query strings (codes, tokens)

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if not outer._enter():
                    # Stopping: a kept-alive connection outlives the accept loop, so a request
                    # on it is refused here (the client retries elsewhere) and the line closed.
                    self.close_connection = True
                    self._write(json_response({"error": "server stopping"}, 503), {"connection": "close"})
                    return
                try:
                    response = outer.dispatch(
                        Request(
                            method=self.command,
                            path=split.path,
                            query=parse_qs(split.query, keep_blank_values=True),
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            raw_query=split.query,
                        )
                    )
                finally:
                    outer._leave()
                self._write(response, {})

            def _write(self, response: Response, extra: dict[str, str]) -> None:
                self.send_response(response.status)
                for key, value in {**response.headers, **extra}.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        self._httpd = _QuietServer(("127.0.0.1", port), _Handler)
        self._thread: threading.Thread | None = None
        self._busy = threading.Condition()
        self._in_flight = 0
        self._stopping = False

    def _enter(self) -> bool:
        """Count a request in; ``False`` once the server is stopping."""
        with self._busy:
            if self._stopping:
                return False
            self._in_flight += 1
            return True

    def _leave(self) -> None:
        with self._busy:
            self._in_flight -= 1
            self._busy.notify_all()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def client_disconnects(self) -> int:
        """How many clients closed their connection before their answer was written."""
        return self._httpd.client_disconnects

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def dispatch(self, request: Request) -> Response:
        try:
            if isinstance(self.app, Router):
                found = self.app.match(request.method, request.path)
                if found is None:
                    return json_response({"error": f"no route for {request.method} {request.path}"}, 404)
                handler, params = found
                request.params = params
                return handler(request)
            return self.app(request)
        except Exception as exc:  # a sandbox bug: a plain 500 for the client, its cause on stderr
            print(f"{self.name}: {type(exc).__name__} on {request.method} {request.path}: {exc}", file=sys.stderr)
            return json_response({"error": "internal", "message": f"{self.name} failed on this request; "
                                  "its log (stderr) names the cause"}, 500)

    def start(self) -> Server:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, drain_s: float = 30.0) -> None:
        """Stop accepting, refuse new requests on kept-alive connections, and wait (at most
        ``drain_s``) for the requests being answered, so nothing runs after its owner is gone."""
        with self._busy:
            self._stopping = True
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._busy:
            self._busy.wait_for(lambda: self._in_flight == 0, timeout=drain_s)

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        with self._busy:
            return self._in_flight
