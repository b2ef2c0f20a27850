"""moto's server as the local cloud runs it, in a process of its own: kept-alive HTTP/1.1
connections, the backend lookup cached per credential scope, DynamoDB requests one at a time (so
a conditional write is decided atomically, as on AWS), and an optional meter of what each
request would cost."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from local.cloud import emulator
from local.cloud.meter import SCOPE, Meter, MeteringMiddleware

log = logging.getLogger("local.cloud")

METER_PATH = "/local-cloud/meter"
"""The meter: GET reads what was counted, DELETE starts afresh."""

BUSY_PATH = "/local-cloud/busy"
"""What is still to do, read from the backends in one request: every queue's messages (waiting,
in flight or delayed) by queue name, and the executions still running."""

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


def busy() -> dict[str, Any]:
    """Messages per queue name and running executions, as :data:`BUSY_PATH` answers. Asking SQS
    for each queue's three approximate counts and Step Functions for each machine's running
    executions took a dozen requests, each walking every message of a queue with a clock read
    per message; the local cloud asks this every 50 ms while it waits for quiet."""
    from moto.sqs.models import sqs_backends
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    queues: dict[str, int] = {}
    for _account, regions in list(sqs_backends.items()):
        for _region, backend in list(regions.items()):
            for name, queue in list(backend.queues.items()):
                queues[name] = queues.get(name, 0) + len(queue._messages)  # every message not yet deleted
    running = 0
    machines: Any
    for machines in (stepfunctions_backends, stepfunctions_parser_backends):
        for _account, by_region in list(machines.items()):
            for _region, sfn in list(by_region.items()):
                for machine in list(sfn.state_machines):
                    running += sum(1 for e in list(machine.executions) if e.status == "RUNNING")
    return {"queues": queues, "running_executions": running}


def _local_answer(path: str, method: str, meter: Meter | None) -> Any:
    """The answer to one of the local cloud's own paths, read from moto's backends; ``None``
    for any other path (an AWS request)."""
    if path == SENT_EMAILS_PATH:
        return sent_emails()
    if path == BUSY_PATH:
        return busy()
    if path == METER_PATH and meter is not None:
        if method == "DELETE":
            meter.reset()
        return meter.snapshot()
    return None


def _moto_pieces() -> tuple[type, Any]:
    """moto's dispatcher and a server for it, made fit for thousands of calls a minute.

    - moto finds the backend of every request under one lock, walking its module list and URL
      patterns; signed requests name their service and region in the credential scope, so the
      answer is cached per scope, host and first path segment.
    - DynamoDB requests run one at a time, so a reader never sees half of an update.
    - DynamoDB and SQS requests go straight to moto's handler of the service: Flask's request
      context, URL map and CORS hooks (a quarter of the emulator's time in a stock burst) add
      nothing to a service whose every route is that one handler.
    - werkzeug's development server closes the connection after every answer, so every boto3
      call paid a new TCP connection and a new server thread. ``serve`` is a plain HTTP/1.1
      server with kept-alive connections that hands each request to the WSGI application.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import unquote_to_bytes, urlsplit

    from botocore.exceptions import ClientError
    from moto.core.request import Request
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.sqs.responses import SQSResponse
    from werkzeug.exceptions import HTTPException
    from werkzeug.http import HTTP_STATUS_CODES

    class DirectRequest(Request):
        from_wsgi_server = True  # as moto's Flask app marks its requests

    handlers = {"dynamodb": DynamoHandler.dispatch, "sqs": SQSResponse.dispatch}

    def direct(service: str, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """One request answered by moto's handler of the service, as its Flask route would."""
        request = DirectRequest(environ)
        try:
            status, headers, content = handlers[service](request, request.raw_url, dict(request.headers))
        except ClientError as exc:
            status, headers, content = 400, {}, exc.response["Error"]["Message"]
        except HTTPException as exc:  # moto's service errors are HTTP exceptions that carry their answer
            return list(exc.get_response(environ)(environ, start_response))
        body = content.encode() if isinstance(content, str) else bytes(content)
        fields = [(str(k), str(v)) for k, v in headers.items() if str(k).lower() != "status"]
        if not any(k.lower() == "content-type" for k, _ in fields):
            fields.append(("Content-Type", "application/x-amz-json-1.0" if body[:1] == b"{" else "text/xml"))
        start_response(f"{status} {HTTP_STATUS_CODES.get(int(status), '')}", fields)
        return [body]

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
            service = scope.group(1) if scope else None
            if service == "dynamodb":
                with self._dynamodb:
                    return direct(service, environ, start_response)
            if service in handlers:
                return direct(service, environ, start_response)
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

    def serve(host: str, port: int, app: Any, meter: Meter | None = None) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            # The answer's head and body leave in one write: every write gives up Python's lock,
            # and taking it back behind a busy thread costs up to a switch interval.
            wbufsize = 1 << 16

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
                    local = _local_answer(split.path, self.command, meter)
                    if local is not None:
                        data = json.dumps(local).encode()
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
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting: its retry decides
                    log.info("a client hung up before its answer (%s %s)", self.command, split.path)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server

    return CachedDispatcher, serve


class MotoServer:
    """moto on a local port as the local cloud runs it, in a process of its own: the faster
    queries, the kept-alive server, one DynamoDB request at a time (so conditional writes are
    atomic, as on AWS) and, when ``metered``, the metering middleware in front. The test suite's
    AWS endpoint is this same server.

    Its own process, because every AWS call of the local cloud is answered by moto: in the
    process that also runs the handlers, the sandboxes and the pollers, moto's request handling
    (its response serializer above all) took about half of the one core Python's lock lets a
    process use, and a burst of work queued behind it. In a process of its own it runs on the
    other core. ``lambda_url`` is where the Lambda functions are invoked (the local cloud's
    function host): moto's Step Functions interpreter calls them there. The child ends with its
    parent: it watches the pipe on its standard input.
    """

    def __init__(self, *, ip_address: str, port: int, metered: bool = False, lambda_url: str | None = None) -> None:
        self.ip_address = ip_address
        self.port = port
        self.metered = metered
        self.lambda_url = lambda_url
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.ip_address}:{self.port}"

    @property
    def meter(self) -> MeterClient | None:
        """The counts of what each request would cost, read from the server (``metered`` only)."""
        return MeterClient(self.url + METER_PATH) if self.metered else None

    def start(self, timeout_s: float = 60.0) -> None:
        repo_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH", "")) if p)
        command = [sys.executable, "-m", "local.cloud.moto_process", "--host", self.ip_address,
                   "--port", str(self.port)]
        if self.metered:
            command.append("--metered")
        if self.lambda_url:
            command += ["--lambda-url", self.lambda_url]
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter and our own arguments
            command, stdin=subprocess.PIPE, env=env, cwd=repo_root)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the AWS emulator's process ended at start (exit {self._process.returncode}); "
                                   "its error is above, on stderr")
            try:
                with socket.create_connection((self.ip_address, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)  # waiting for the child's port to open, not for a result
        self.stop()
        raise RuntimeError(f"the AWS emulator did not open port {self.port} within {timeout_s:.0f} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class MeterClient:
    """The server's meter, read and reset over HTTP from the process that started it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def reset(self) -> None:
        httpx.delete(self.url, timeout=30).raise_for_status()

    def snapshot(self) -> dict[str, Any]:
        answer = httpx.get(self.url, timeout=60)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


def run(host: str, port: int, *, metered: bool, lambda_url: str | None) -> None:
    """The server's process: moto made fit (:mod:`local.cloud.emulator`), Lambda invocations
    sent to ``lambda_url``, until the parent closes our standard input or ends."""
    from moto.moto_server.werkzeug_app import create_backend_app

    emulator.install()
    if lambda_url:
        _invoke_lambda_at(lambda_url)
    dispatcher, serve = _moto_pieces()
    app = dispatcher(create_backend_app)
    meter = Meter() if metered else None
    server = serve(host, port, app if meter is None else MeteringMiddleware(app, meter), meter)
    threading.Thread(target=_end_with_parent, daemon=True, name="parent-watch").start()
    server.serve_forever()


def _end_with_parent() -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


INVOKE_TIMEOUT_S = 900.0
"""Lambda's longest timeout: the function host ends an invocation by its own timeout first."""


def _invoke_lambda_at(url: str) -> None:
    """Make moto's Lambda (as called by the Step Functions interpreter) invoke our handlers in
    the local cloud's process."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    client = httpx.Client(timeout=INVOKE_TIMEOUT_S)

    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        data = body.encode() if isinstance(body, str) else (body or b"")
        answer = client.post(f"{url}/functions/{quote(function_name, safe='')}/invocations",
                             content=data or b"{}", headers={"content-type": "application/json"})
        answer.raise_for_status()
        result = answer.json()
        if result.get("errorType"):
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorMessage": result.get("errorMessage"), "errorType": result["errorType"]}).encode()
        return json.dumps(result.get("payload")).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]

