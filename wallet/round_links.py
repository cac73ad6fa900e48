"""Short-lived signed links to a round's details page (``/rounds/<token>``), for a partner's support agent or the
player: Django's ``TimestampSigner`` over the round id (salted, keyed by ``SECRET_KEY``), valid for
``HUB_ROUND_DETAILS_TTL_SECONDS``. The token is the only credential the page needs, so it is issued only to
whoever may see the round: the partner through its signed APIs, an account manager through the admin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "hub.round-details.v1"


@dataclass(frozen=True)
class RoundLink:
    url: str
    expires_at: datetime


def ttl_seconds() -> int:
    return int(settings.HUB_ROUND_DETAILS_TTL_SECONDS)


def round_details_token(round_id: uuid.UUID | str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(round_id))


def round_id_from_token(token: str) -> uuid.UUID | None:
    """The round id a token names, or ``None`` when it is forged, malformed or older than the TTL."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=timedelta(seconds=ttl_seconds()))
        return uuid.UUID(value)
    except (signing.BadSignature, ValueError):
        return None


def round_details_link(round_id: uuid.UUID | str) -> RoundLink:
    path = reverse("round-details", args=[round_details_token(round_id)])
    return RoundLink(
        url=f"{settings.HUB_PUBLIC_URL}{path}", expires_at=timezone.now() + timedelta(seconds=ttl_seconds())
    )
