"""Player-facing pages: the game page partners embed (``/launch/<id>``) and the public demo lobby.

Both pages are static shells: everything they show comes from the Session API,
called by ``static/hub/*.js`` from the browser. The session key travels in the
launch URL's fragment, so it never reaches a server log or a referrer.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from games import history
from wallet import round_links
from wallet.models import GameSession, Round

from . import i18n

# Everything the pages load comes from the hub itself: no CDN, no inline script or style.
_BASE_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
)


SELF_ONLY = "'self'"
# Stored origins are validated on write (tenants.validators.validate_frame_origin); this keeps anything else out
# of the header even so.
_ORIGIN_RE = re.compile(r"https?://[a-z0-9.\-]+(?::[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](?::[0-9]{1,5})?")


def _csp(*extra: str) -> str:
    return "; ".join((*_BASE_POLICY, *extra))


def _public_origin() -> str:
    parts = urlsplit(settings.HUB_PUBLIC_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@require_safe
def home(request):
    return redirect("demo")


@require_safe
@xframe_options_exempt
def launch(request, session_id):
    """The game page for any session (IGSP or Public API); ``igsp-init.js`` does the rest."""
    state_url = reverse("igsp-session-state", args=[str(session_id)])
    # The language and the casino's return URL (nothing secret) let the page speak the player's language and
    # offer the way back even when the session is already gone and the Session API answers 410.
    language, return_url, origins = GameSession.objects.filter(pk=session_id).values_list(
        "language", "return_url", "partner__frame_origins"
    ).first() or ("", "", None)
    # Who may embed the page: the session's partner's configured sites (Partner.frame_origins, validated as bare
    # origins); else, and for partner-less demo sessions, only the hub's own pages (the demo lobby). The page
    # posts its events to the same origins only (to its own origin when there are none).
    origins = [o for o in (origins or []) if isinstance(o, str) and _ORIGIN_RE.fullmatch(o)]
    # The page speaks the session's language (any documented form; English when we do not speak it): the template
    # is rendered in it and the JavaScript gets the same gettext texts as a JSON catalog.
    locale, ui = i18n.page_language(language)
    context = {
        "session_id": str(session_id),
        "api_base": state_url.removesuffix("state"),
        "language": language or locale,
        "ui_language": ui,
        "html_lang": i18n.html_lang(ui),
        "texts": i18n.catalog_for(ui),
        "return_url": return_url,
        "parent_origins": " ".join(origins),
    }
    with translation.override(ui):
        response = render(request, "pages/launch.html", context)
    response["Content-Security-Policy"] = _csp("frame-src 'none'", f"frame-ancestors {' '.join(origins) or SELF_ONLY}")
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def demo(request):
    """A small casino lobby: creates demo sessions and embeds the launch URL as a partner would."""
    frames = " ".join(dict.fromkeys(src for src in ("'self'", _public_origin()) if src))
    # The language: ?lang= (the picker reloads the page with it), else the browser's Accept-Language.
    asked = request.GET.get("lang") or translation.get_language_from_request(request)
    locale, ui = i18n.page_language(asked)
    context = {
        "locale": locale,
        "ui_language": ui,
        "html_lang": i18n.html_lang(ui),
        "texts": i18n.catalog_for(ui),
        "locales": i18n.picker(),
    }
    with translation.override(ui):
        response = render(request, "pages/demo.html", context)
    response["Content-Security-Policy"] = _csp(f"frame-src {frames}", "frame-ancestors 'self'")
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def round_details(request, token):
    """A round's details (``games/history.py``) behind a short-lived signed link (``wallet/round_links.py``), in
    the player's language; the TraderHero seed check runs in the page (``static/hub/round-details.js``, WebCrypto).
    A forged or expired link answers 410 with a page saying so; nothing else about the round is revealed."""
    round_id = round_links.round_id_from_token(token)
    rnd = (
        Round.objects.select_related("session", "session__game").filter(pk=round_id).first()
        if round_id is not None
        else None
    )
    # The session's language in any documented form (``zh_tw``, ``pt-BR``, ``ja``) → the Django language whose
    # catalog we have (``zh-hant``, ``pt-br``, ``ja``), as on the game page; English when we do not speak it.
    _, ui = i18n.page_language(history.round_language(rnd) if rnd else request.GET.get("lang"))
    context = {"language": i18n.html_lang(ui)}
    with translation.override(ui):
        if rnd is None:
            response = render(request, "pages/round_details.html", {**context, "expired": True}, status=410)
        else:
            details = history.round_details(rnd=rnd)
            response = render(request, "pages/round_details.html", {**context, "d": details})
    response["Content-Security-Policy"] = _csp("frame-src 'none'", "frame-ancestors 'none'")
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
