"""gunicorn's access log, redacted: its lines do not pass through the logging filter of ``core.logging`` (they
are written by gunicorn's own logger), so the fields the access-log format names (the request line, path,
query, referrer…) go through the same :func:`core.logging.redact_text` first. No magic link, round-details
token, key or signature that a client put in a URL reaches the log."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

from core.logging import redact_text

_ATOM_RE = re.compile(r"%\(([^)]+)\)s")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        used = _ATOM_RE.findall(self.cfg.access_log_format or "")
        for name in used:
            for key in (name, name.lower()):
                value = atoms.get(key)
                if isinstance(value, str):
                    atoms[key] = redact_text(value)
        return atoms
