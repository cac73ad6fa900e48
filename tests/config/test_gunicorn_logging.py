"""The access log's atoms: the hub's five built alone equal gunicorn's own, redacted (config/gunicorn_logging.py)."""

import datetime
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from config.gunicorn_logging import RedactingLogger
from core.logging import redact_text

TOKEN = "p" * 43  # a portal token's shape: one long run the redaction must catch


def _logger(fmt):
    cfg = Config()
    cfg.set("access_log_format", fmt)
    logger = RedactingLogger.__new__(RedactingLogger)
    logger.cfg = cfg
    return logger


def _call(path, status="200 OK", sent=17):
    resp = SimpleNamespace(status=status, sent=sent, headers=[("Content-Type", "application/json")])
    environ = {
        "REMOTE_ADDR": "10.1.2.3",
        "REQUEST_METHOD": "POST",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": "",
    }
    req = SimpleNamespace(headers=[("HOST", "hub"), ("X-REQUEST-SIGN", "secret")])
    return resp, req, environ, datetime.timedelta(seconds=1, microseconds=234567)


def test_the_hubs_format_builds_the_same_atoms_as_gunicorn_redacted():
    fmt = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
    for path, status, sent in [
        ("/api/session/bet", "200 OK", 17),
        (f"/portal/enter/{TOKEN}?x=1", "410 Gone", 0),
        ("/round/" + "a" * 40, 404, None),
    ]:
        args = _call(path, status, sent)
        ours = _logger(fmt).atoms(*args)
        theirs = Logger.atoms(_logger(fmt), *args)
        expected = {k: theirs[k] for k in "hrsbM"}
        expected["r"] = redact_text(expected["r"])
        assert ours == expected
        assert TOKEN not in str(ours)
        assert "a" * 40 not in str(ours)
        assert fmt % Logger.atoms_wrapper_class(ours) == fmt % Logger.atoms_wrapper_class(expected)


def test_a_format_naming_other_atoms_gets_gunicorns_full_set_redacted():
    fmt = '%(h)s "%(r)s" %(U)s %(a)s %({x-request-sign}i)s'
    args = _call(f"/portal/enter/{TOKEN}")
    atoms = _logger(fmt).atoms(*args)
    assert TOKEN not in atoms["r"]
    assert TOKEN not in atoms["U"]
    assert "t" in atoms
    assert "{host}i" in atoms  # gunicorn's own set (time, headers), not the five
