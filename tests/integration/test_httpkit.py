"""The local server kit: a client that hangs up mid-answer is counted, not printed as a trace;
stopping refuses new requests and waits for the ones being answered."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from local.httpkit import Request, Response, Server


def test_a_client_hanging_up_is_counted_without_a_trace(capfd: pytest.CaptureFixture[str]) -> None:
    client_gone = threading.Event()
    answered = threading.Event()

    def slow_big_answer(_request: Request) -> Response:
        client_gone.wait(10)
        return Response(200, b"x" * (8 << 20), {"content-type": "text/plain"})

    server = Server(slow_big_answer, name="test-httpkit").start()
    original = server._httpd.handle_error

    def noting_handle_error(request: object, address: object) -> None:
        original(request, address)
        answered.set()

    server._httpd.handle_error = noting_handle_error  # type: ignore[method-assign]
    try:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
        # close with a reset, so the server's writes fail at once
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        client_gone.set()
        assert answered.wait(10), "the server never reported the broken write"
        assert server.client_disconnects == 1
    finally:
        server.stop()
    assert "Traceback" not in capfd.readouterr().err


def test_a_normal_answer_is_not_a_disconnect() -> None:
    import httpx

    server = Server(lambda _r: Response(200, b"ok", {}), name="test-httpkit-ok").start()
    try:
        assert httpx.get(f"{server.url}/").text == "ok"
        assert server.client_disconnects == 0
    finally:
        server.stop()


def test_stop_waits_for_the_request_being_answered() -> None:
    import httpx

    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def slow(_request: Request) -> Response:
        started.set()
        release.wait(10)
        finished.append("answered")
        return Response(200, b"done", {})

    server = Server(slow, name="test-httpkit-drain").start()
    answers: list[httpx.Response] = []
    client = threading.Thread(target=lambda: answers.append(httpx.get(f"{server.url}/", timeout=10)))
    client.start()
    assert started.wait(10)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(2)  # past the accept loop's 0.5 s poll, so only the drain can hold it
    assert stopper.is_alive(), "stop returned while a request was still being answered"
    release.set()
    stopper.join(10)
    client.join(10)
    assert not stopper.is_alive() and finished == ["answered"]
    assert answers[0].status_code == 200 and answers[0].text == "done"
    assert server.in_flight == 0


def test_a_kept_alive_connection_gets_503_once_the_server_stops() -> None:
    import httpx

    calls: list[str] = []

    def app(request: Request) -> Response:
        calls.append(request.path)
        return Response(200, b"ok", {})

    server = Server(app, name="test-httpkit-stopping").start()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/first").status_code == 200  # the connection stays open
        server.stop()
        late = client.get("/late")  # same kept-alive connection: its thread outlived the accept loop
    assert late.status_code == 503 and late.json() == {"error": "server stopping"}
    assert late.headers["connection"] == "close"
    assert calls == ["/first"], "the app ran after the server stopped"


def test_a_sandbox_bug_answers_a_plain_500_and_names_its_cause_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    import httpx

    def broken(_request: Request) -> Response:
        raise KeyError("secret-internal-detail")

    server = Server(broken, name="test-httpkit-bug").start()
    try:
        answer = httpx.get(f"{server.url}/anything")
    finally:
        server.stop()
    assert answer.status_code == 500
    assert answer.json()["error"] == "internal"
    assert "KeyError" not in answer.text and "secret-internal-detail" not in answer.text
    assert "KeyError on GET /anything" in capfd.readouterr().err
