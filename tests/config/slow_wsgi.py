"""A WSGI app for the web worker's tests: answers after ``?ms=`` milliseconds, with the answering thread's id."""

import threading
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    ms = int(parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0])
    time.sleep(ms / 1000)
    body = str(threading.get_ident()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
