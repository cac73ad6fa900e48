"""A logging filter that keeps secrets and signatures out of every log line.

It redacts, in the message, its arguments, extra fields and tracebacks:
header values of Authorization / X-Signature / X-REQUEST-SIGN / X-Casino-Key /
X-Admin-Key, ``key=value`` pairs whose name says secret, key, token, password or
signature, session keys (``igsp_…``), long hex strings (HMAC signatures, IGSP
secrets), and Core / Integration API keys anywhere in free text: the ones issued
now by their prefix (``hub_core_…`` / ``hub_int_…``; alert webhook secrets ``hub_alert_…``; see ``tenants.services``),
the ones issued before by their shape (a run of 40 or more of ``[A-Za-z0-9_-]``
mixing upper and lower case: ``token_urlsafe(36)`` is 48 of them), portal magic-link
tokens (``hub_portal_…``, and whatever follows ``/portal/enter/`` in a path) and signed
round-details tokens in a ``/rounds/<token>`` path. UUIDs (hex and dashes, 36
characters), slugs and other lower-case ids stay readable.

gunicorn's access log does not pass through this filter: ``config/gunicorn_logging.py``
applies :func:`redact_text` to its fields.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[REDACTED]"

_SENSITIVE_NAME = (
    r"(?:authorization|x[-_]signature|x[-_]request[-_]sign|x[-_]casino[-_]key|x[-_]admin[-_]key|"
    r"http_authorization|http_x_signature|http_x_request_sign|http_x_casino_key|http_x_admin_key|"
    r"[a-z_]*secret[a-z_]*|[a-z_]*api[-_]?key|integrationapikey|igspsecretkey|password|passwd|"
    r"[a-z_]*token|signature|sign)"
)
_PAIR_RE = re.compile(
    r"(?P<name>[\"']?" + _SENSITIVE_NAME + r"[\"']?)(?P<sep>\s*[:=]\s*)(?P<quote>[\"']?)"
    r"(?P<value>(?:Bearer\s+)?[^\s\"',;}&]+)",
    re.IGNORECASE,
)
_PATTERNS = [
    re.compile(r"igsp_[A-Za-z0-9_\-]{12,}"),
    re.compile(r"\bBearer\s+[A-Za-z0-9_\-\.]+", re.IGNORECASE),
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),
    re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}"),  # Fernet tokens
    re.compile(r"hub_(?:core|int|alert)_[A-Za-z0-9_\-]{16,}"),  # Core / Integration API keys, alert secrets
    re.compile(r"hub_portal_[A-Za-z0-9_\-]{8,}"),  # portal magic-link tokens
]
# Tokens in a URL path, the prefix kept: an old-style portal link (/portal/enter/<token>) and a signed
# round-details link (/rounds/<round id>:<timestamp>:<signature>, the colons perhaps percent-encoded).
_PATH_TOKEN_RE = re.compile(
    r"(?P<path>/portal/enter/)[^\s?#\"'/]+|(?P<rounds>/rounds/)[^\s?#\"'/]*(?::|%3[aA])[^\s?#\"'/]*"
)
# A key without a prefix (issued before keys had one): a long base64url run that mixes upper and lower case.
_KEY_SHAPE_RE = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{40,}(?![A-Za-z0-9_\-])")
_SENSITIVE_KEY_RE = re.compile(r"^" + _SENSITIVE_NAME + r"$", re.IGNORECASE)
_STANDARD_ATTRS = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


# Most text a log line or a call record carries (a request line such as ``POST /igsp/v1/sessions/<uuid>/bet
# HTTP/1.1``, ids, amounts, currency codes, a game slug) can hold none of the above: only letters, digits and
# `` .,/-``, no run of 26 letters and digits in a row (a Fernet token, 32 hex digits of a signature) nor of 40 with
# dashes (a key's shape), no ``Bearer``, no ``/portal/enter/``. Such text is returned as it is, after three cheap
# scans instead of the eight patterns (a tenth of a bet's CPU in gunicorn's access log and the call log).
_PLAIN_CHARS_RE = re.compile(r"[A-Za-z0-9 .,/\-]*")
_LONG_RUN_RE = re.compile(r"[A-Za-z0-9]{26}|[A-Za-z0-9\-]{40}")


def _plainly_safe(text: str) -> bool:
    return (
        _PLAIN_CHARS_RE.fullmatch(text) is not None
        and _LONG_RUN_RE.search(text) is None
        and "/portal/enter/" not in text
        and "bearer" not in text.lower()
    )


def redact_text(text: str) -> str:
    if not text or _plainly_safe(text):
        return text
    return redact_text_fully(text)


def redact_text_fully(text: str) -> str:
    """Every pattern run over ``text`` (``redact_text`` skips them for text that can hold none)."""
    text = _PAIR_RE.sub(lambda m: f"{m.group('name')}{m.group('sep')}{m.group('quote')}{REDACTED}", text)
    if "/portal/enter/" in text or "/rounds/" in text:
        text = _PATH_TOKEN_RE.sub(lambda m: (m.group("path") or m.group("rounds")) + REDACTED, text)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _KEY_SHAPE_RE.sub(_redact_key_shape, text)


def _redact_key_shape(match: re.Match) -> str:
    run = match.group()
    return REDACTED if any(c.isupper() for c in run) and any(c.islower() for c in run) else run


def is_sensitive_key(name: str) -> bool:
    """A key whose value is a secret whatever it holds (``secret``, ``api_key``, ``signature``…)."""
    return _SENSITIVE_KEY_RE.match(name) is not None


def redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 4:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and _SENSITIVE_KEY_RE.match(k) else redact_value(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v, depth + 1) for v in value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact_text(str(value))


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = ()
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS:
                continue
            record.__dict__[key] = REDACTED if _SENSITIVE_KEY_RE.match(key) else redact_value(value)
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_text(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True
