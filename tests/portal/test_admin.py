"""The portal-link admin: a new link's URL is shown once in the response that issued it, as new
keys are (never cached, never in Django's messages cookie or the session), and it opens the portal."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session

from portal import selectors
from portal.models import PortalLink
from portal.services import hash_token

pytestmark = pytest.mark.django_db


def test_a_new_portal_link_is_shown_once_in_the_response_never_in_a_cookie(client, admin_user, igsp_partner):
    client.force_login(admin_user)
    response = client.post(
        "/admin/portal/portallink/add/", {"partner": str(igsp_partner.pk), "label": "their dev", "days": "30"}
    )

    assert response.status_code == 200  # the page itself, not a redirect to a page that reads a cookie
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    url = re.search(r'id="portal-link-url"[^>]*>([^<]+)<', response.content.decode()).group(1)
    token = url.split("#", 1)[1]
    assert token.startswith("hub_portal_")
    link = PortalLink.objects.get()
    assert link.token_hash == hash_token(token)
    assert link.label == "their dev"
    assert selectors.portal_link_for_token(hash_token(token)) == link
    # Nowhere else: no cookie (messages or other), no session, no later page.
    for morsel in response.cookies.values():
        assert token not in morsel.value
    assert all(token not in s.get_decoded().__repr__() for s in Session.objects.all())
    assert token not in client.get("/admin/portal/portallink/").content.decode()
    assert token not in client.get(f"/admin/portal/portallink/{link.pk}/change/").content.decode()
