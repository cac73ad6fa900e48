"""Request signing for both partner protocols. Pure Python: no Django imports.

IGSP: ``hex(HMAC_SHA256(secret, raw_body + X-Timestamp))`` with a ±300 s clock
window, the same scheme in both directions.

Public API: ``X-REQUEST-SIGN = hex(HMAC_SHA256(key, canonical_json))`` where the
canonical form is RFC 8785 (JCS), computed with the maintained ``rfc8785``
package (the official SDKs use JCS too). POST bodies are signed as sent (we send
the canonical bytes); GET requests sign their query parameters as a flat JSON
object of strings.

Alert webhooks (the hub's incident notifications, ``alerts.services``): signed with the partner's own alert
webhook secret, never a wallet-call key. ``X-Hub-Timestamp`` (Unix seconds), ``X-Hub-Event`` (``incident.opened``
/ ``incident.resolved``) and ``X-Hub-Signature: v1=<hex>[, v1=<hex>]`` where each hex is
``HMAC_SHA256(secret, "<timestamp>.<event>." + raw_body)`` (one per key that still verifies: during a rotation
both the new and the retiring secret sign). Receivers check one of them in constant time and refuse a timestamp
outside ±300 s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import rfc8785

IGSP_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DEFAULT_SKEW_SECONDS = 300


class SignatureError(ValueError):
    """A request could not be verified. The message never contains a secret."""


def _key_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def hmac_sha256_hex(secret: str | bytes, message: bytes) -> str:
    return hmac.new(_key_bytes(secret), message, hashlib.sha256).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


# --------------------------------------------------------------------- IGSP --


def igsp_timestamp(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).strftime(IGSP_TIMESTAMP_FORMAT)


def parse_igsp_timestamp(value: str) -> datetime:
    """Parse an UTC ISO-8601 timestamp (``Z`` or an explicit offset, fractions allowed)."""
    if not value or len(value) > 40:
        raise SignatureError("bad timestamp")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SignatureError("bad timestamp") from exc
    if parsed.tzinfo is None:
        raise SignatureError("bad timestamp")
    return parsed.astimezone(UTC)


def igsp_sign(secret: str | bytes, body: bytes, timestamp: str) -> str:
    """Lowercase hex HMAC-SHA256 over the raw body bytes followed by the timestamp."""
    return hmac_sha256_hex(secret, (body or b"") + timestamp.encode("utf-8"))


def igsp_headers(api_key: str, secret: str | bytes, body: bytes, now: datetime | None = None) -> dict[str, str]:
    ts = igsp_timestamp(now)
    return {
        "Authorization": f"Bearer {api_key}",
        "X-Timestamp": ts,
        "X-Signature": igsp_sign(secret, body, ts),
    }


def igsp_check_timestamp(timestamp: str, now: datetime | None = None, skew_seconds: int = DEFAULT_SKEW_SECONDS) -> None:
    sent = parse_igsp_timestamp(timestamp)
    now = now or datetime.now(UTC)
    if abs(now - sent) > timedelta(seconds=skew_seconds):
        raise SignatureError("stale timestamp")


def igsp_verify(
    secrets: Iterable[str | bytes],
    body: bytes,
    timestamp: str,
    signature: str,
    now: datetime | None = None,
    skew_seconds: int = DEFAULT_SKEW_SECONDS,
) -> int:
    """Verify an IGSP request against candidate secrets.

    Returns the index of the secret that matched; raises ``SignatureError``.
    Every candidate is compared (constant time, no early exit on the first miss).
    """
    igsp_check_timestamp(timestamp, now=now, skew_seconds=skew_seconds)
    return _match_any(secrets, lambda s: igsp_sign(s, body, timestamp), signature)


def _match_any(secrets: Iterable[str | bytes], compute: Callable[[str | bytes], str], signature: str) -> int:
    signature = (signature or "").strip().lower()
    if not signature:
        raise SignatureError("missing signature")
    matched = -1
    for index, secret in enumerate(secrets):
        if constant_time_equals(compute(secret), signature) and matched < 0:
            matched = index
    if matched < 0:
        raise SignatureError("signature mismatch")
    return matched


# --------------------------------------------------------------- Public API --


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value (dict, list, str, int, float, bool, None)."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise SignatureError("cannot canonicalize") from exc


_SAFE_INTEGER = 2**53


def _json_int(text: str) -> int | float:
    """An integer literal beyond the I-JSON safe range is read as the double it is the RFC 8785 form of (the
    canonical form of 1.5e17 is ``150000000000000000``, and canonical bytes must canonicalize to themselves);
    any other such literal (``9007199254740993``: no double is written so) stays an int, which rfc8785 refuses."""
    value = int(text)
    if abs(value) <= _SAFE_INTEGER:
        return value
    try:
        double = float(value)
    except OverflowError:
        return value
    return double if rfc8785.dumps(double) == text.encode() else value


def canonicalize_raw(raw: bytes) -> bytes:
    """Canonical form of a received JSON document, whatever its formatting.

    Numbers are parsed as IEEE doubles here on purpose: that is what RFC 8785 and
    the partners' SDKs canonicalize. This is only for the signature; business
    parsing uses Decimal.
    """
    try:
        value = json.loads(raw.decode("utf-8") if raw else "null", parse_int=_json_int)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SignatureError("body is not JSON") from exc
    return canonical_json(value)


def canonical_query(params: Mapping[str, str]) -> bytes:
    """GET requests: the query parameters as a flat JSON object of strings."""
    return canonical_json({str(k): str(v) for k, v in params.items()})


def public_sign(key: str | bytes, canonical: bytes) -> str:
    return hmac_sha256_hex(key, canonical)


def public_sign_body(key: str | bytes, value: Any) -> tuple[bytes, str]:
    """Canonicalize a body and sign it: returns the exact bytes to send and the signature."""
    body = canonical_json(value)
    return body, public_sign(key, body)


def public_verify(keys: Iterable[str | bytes], canonical: bytes, signature: str) -> int:
    """Verify ``X-REQUEST-SIGN`` against candidate keys; returns the matching index."""
    return _match_any(keys, lambda k: public_sign(k, canonical), signature)


# ------------------------------------------------------------ alert webhooks --

ALERT_SIGNATURE_VERSION = "v1"


def alert_sign(secret: str | bytes, timestamp: str, event: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 over ``"<timestamp>.<event>."`` followed by the raw body."""
    return hmac_sha256_hex(secret, f"{timestamp}.{event}.".encode() + (body or b""))


def alert_headers(
    secrets: Iterable[str | bytes], event: str, body: bytes, now: datetime | None = None
) -> dict[str, str]:
    """The signing headers of one alert webhook: every secret given signs (the newest first)."""
    timestamp = str(int((now or datetime.now(UTC)).timestamp()))
    signatures = [f"{ALERT_SIGNATURE_VERSION}={alert_sign(s, timestamp, event, body)}" for s in secrets]
    if not signatures:
        raise ValueError("no secret to sign with")
    return {"X-Hub-Timestamp": timestamp, "X-Hub-Event": event, "X-Hub-Signature": ", ".join(signatures)}


def alert_verify(
    secrets: Iterable[str | bytes],
    body: bytes,
    headers: Mapping[str, str],
    now: datetime | None = None,
    skew_seconds: int = DEFAULT_SKEW_SECONDS,
) -> int:
    """What a receiver does with an alert webhook (the reference for the partner guide): returns the index of the
    secret that verified one of the signatures; raises ``SignatureError``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp, event = lowered.get("x-hub-timestamp", ""), lowered.get("x-hub-event", "")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("bad timestamp")
    now = now or datetime.now(UTC)
    if abs(now.timestamp() - int(timestamp)) > skew_seconds:
        raise SignatureError("stale timestamp")
    prefix = f"{ALERT_SIGNATURE_VERSION}="
    parts = [p.strip() for p in lowered.get("x-hub-signature", "").split(",")]
    given = [p[len(prefix) :] for p in parts if p.startswith(prefix) and len(p) > len(prefix)] or [""]
    secrets = list(secrets)
    matched = -1
    for signature in given:
        try:
            index = _match_any(secrets, lambda s: alert_sign(s, timestamp, event, body), signature)
        except SignatureError:
            continue
        if matched < 0:
            matched = index
    if matched < 0:
        raise SignatureError("signature mismatch")
    return matched
