"""A live server's after-response work ends before the test that caused it is torn down (tests/live_requests.py)."""

import threading
import time

import httpx
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

from core.after_response import after_response
from tests.live_requests import in_flight, wait_idle

_written: list[str] = []
_release = threading.Event()


def _view(request):
    def write_late():
        _release.wait(5)
        time.sleep(0.2)
        _written.append("row")

    after_response(write_late)
    return HttpResponse("ok")


urlpatterns = [path("late", _view)]


def test_the_teardown_waits_for_a_callback_still_running_after_the_answer(live_server, settings):
    settings.ROOT_URLCONF = __name__
    _written.clear()
    _release.clear()
    assert httpx.get(f"{live_server.url}/late").text == "ok"
    assert _written == []
    assert in_flight() == 1  # the client has its answer; the server thread is still busy
    _release.set()
    assert wait_idle(timeout=5)
    assert _written == ["row"]
    assert in_flight() == 0


def test_nothing_in_flight_returns_at_once():
    started = time.monotonic()
    assert wait_idle(timeout=5)
    assert time.monotonic() - started < 0.5


def _stream(request):
    return StreamingHttpResponse(iter([b"a", b"b"]))


urlpatterns.append(path("stream", _stream))


def test_a_request_on_another_thread_that_never_closed_is_not_waited_for(settings):
    """The test client on a worker thread leaves a streaming answer it never reads unclosed (no request_finished):
    that thread is not a live server's, and once it ends nothing of it is in flight (CI waited 10 s per test)."""
    from django.test import Client

    settings.ROOT_URLCONF = __name__
    answers = []

    def call():
        answers.append(Client().get("/stream").status_code)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200, 200, 200]
    assert in_flight() == 0
    started = time.monotonic()
    assert wait_idle(timeout=5)
    assert time.monotonic() - started < 0.5
