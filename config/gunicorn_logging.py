"""gunicorn's access log, redacted: its lines do not pass through the logging filter of ``core.logging`` (they
are written by gunicorn's own logger), so the fields the access-log format names (the request line, path,
query, referrer…) go through the same :func:`core.logging.redact_text` first. No magic link, round-details
token, key or signature that a client put in a URL reaches the log."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

from core.logging import redact_text

_ATOM_RE = re.compile(r"%\(([^)]+)\)s")


# the atoms the hub's own format names, built alone: gunicorn's full set (~20 entries, a strftime, every request and
# response header) costs more than the bet's own signing, for a line that prints five of them
_CHEAP = frozenset("hrsbM")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        used = _ATOM_RE.findall(self.cfg.access_log_format or "")
        if _CHEAP.issuperset(used):
            return self._cheap_atoms(used, resp, environ, request_time)
        atoms = super().atoms(resp, req, environ, request_time)
        for name in used:
            for key in (name, name.lower()):
                value = atoms.get(key)
                if isinstance(value, str):
                    atoms[key] = redact_text(value)
        return atoms

    @staticmethod
    def _cheap_atoms(used, resp, environ, request_time) -> dict:
        atoms: dict = {}
        for name in used:
            if name == "h":
                atoms["h"] = environ.get("REMOTE_ADDR", "-")
            elif name == "r":
                line = f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
                atoms["r"] = redact_text(line)
            elif name == "s":
                status = resp.status
                atoms["s"] = status.split(None, 1)[0] if isinstance(status, str) else status
            elif name == "b":
                sent = getattr(resp, "sent", None)
                atoms["b"] = str(sent) if sent is not None else "-"
            else:  # "M"
                atoms["M"] = request_time.seconds * 1000 + request_time.microseconds // 1000
        return atoms
