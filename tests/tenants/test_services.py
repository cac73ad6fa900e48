"""Tenant services: rotation windows, revocation, secrets at rest, URL validation, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from core.errors import ApplicationError
from tenants import crypto, selectors, services
from tenants.models import AuditLog, Credential, CredentialPurpose, CredentialState, ExtClient
from tests.conftest import run_together

pytestmark = pytest.mark.django_db


def test_rotation_keeps_old_key_verifying_for_the_grace_period(igsp_partner, settings):
    settings.HUB_KEY_GRACE_SECONDS = 7200
    new = services.credential_rotate(credential=igsp_partner.credential, actor="am")
    old = Credential.objects.get(pk=igsp_partner.credential.pk)
    assert old.state == CredentialState.RETIRING
    assert timedelta(seconds=7190) < old.expires_at - timezone.now() <= timedelta(seconds=7200)
    keys = selectors.partner_verifying_keys(partner=igsp_partner, purpose=CredentialPurpose.IGSP)
    assert {k.credential.pk for k in keys} == {old.pk, new.credential.pk}
    # Outbound calls sign with the newest active key.
    assert selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP).secret == new.secret
    # Past the grace period the retiring key no longer verifies, and the sweeper revokes it.
    Credential.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert selectors.igsp_key_for_public_id(old.public_id) is None
    assert services.credentials_retire_expired() == 1
    assert Credential.objects.get(pk=old.pk).state == CredentialState.REVOKED


def test_signing_key_is_cached_briefly_and_a_rotation_takes_effect_at_once(
    igsp_partner, settings, django_assert_num_queries
):
    settings.HUB_SIGNING_KEY_CACHE_SECONDS = 60
    selectors.signing_key_cache_clear()
    first = selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP)
    with django_assert_num_queries(0):  # no query, no decrypt: a bet or a delivery batch signs from memory
        assert selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP) is first
    new = services.credential_rotate(credential=igsp_partner.credential, actor="am")
    assert selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP).secret == new.secret
    services.credential_revoke(credential=new.credential, actor="am")
    assert selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP) is None
    # Disabled: every call reads the database.
    settings.HUB_SIGNING_KEY_CACHE_SECONDS = 0
    with django_assert_num_queries(1):
        selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP)


@pytest.mark.django_db(transaction=True)
def test_threads_that_find_the_signing_key_expired_together_look_it_up_once(igsp_partner, settings, monkeypatch):
    """Sixteen bet threads of one web worker miss the cached key at the same moment (it expired): one of them
    reads and decrypts it, the others take what it found."""
    import time

    settings.HUB_SIGNING_KEY_CACHE_SECONDS = 60
    selectors.signing_key_cache_clear()
    decrypts = []
    real_decrypt = crypto.decrypt_secret

    def slow_decrypt(token):
        decrypts.append(1)
        time.sleep(0.05)  # the lookup takes a while: the other threads miss the cache meanwhile
        return real_decrypt(token)

    monkeypatch.setattr(crypto, "decrypt_secret", slow_decrypt)
    keys = run_together(
        16, lambda _: selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP)
    )
    assert len(keys) == 16
    assert all(k is not None and k.secret == keys[0].secret for k in keys)
    assert len(decrypts) == 1


def test_rotation_with_zero_grace_revokes_at_once(igsp_partner):
    services.credential_rotate(credential=igsp_partner.credential, actor="am", grace_seconds=0)
    assert Credential.objects.get(pk=igsp_partner.credential.pk).state == CredentialState.REVOKED
    with pytest.raises(ApplicationError, match="revoked key cannot be rotated"):
        services.credential_rotate(credential=igsp_partner.credential, actor="am")


def test_rotating_a_retiring_key_is_refused_and_keeps_its_grace_window(igsp_partner, settings):
    settings.HUB_KEY_GRACE_SECONDS = 3600
    old = igsp_partner.credential
    services.credential_rotate(credential=old, actor="am")
    retiring = Credential.objects.get(pk=old.pk)
    assert retiring.state == CredentialState.RETIRING
    expires_at, keys = retiring.expires_at, Credential.objects.filter(partner=igsp_partner).count()
    settings.HUB_KEY_GRACE_SECONDS = 30 * 86400
    # A second rotation of the same (now retiring) key: a refresh of the action, two account managers at once.
    with pytest.raises(ApplicationError) as refused:
        services.credential_rotate(credential=old, actor="am")
    assert refused.value.code == "credential_retiring"
    assert "already retiring" in refused.value.message
    again = Credential.objects.get(pk=old.pk)
    assert (again.state, again.expires_at) == (CredentialState.RETIRING, expires_at)  # no new grace window
    assert Credential.objects.filter(partner=igsp_partner).count() == keys  # and no extra key issued
    assert AuditLog.objects.filter(action="credential.rotate").count() == 1


def test_new_core_and_integration_keys_carry_a_recognisable_prefix(public_partner):
    core = services.credential_issue(partner=public_partner, purpose=CredentialPurpose.CORE_API, actor="am")
    integration = services.credential_issue(
        partner=public_partner, purpose=CredentialPurpose.INTEGRATION_API, actor="am"
    )
    igsp = services.credential_issue(partner=public_partner, purpose=CredentialPurpose.IGSP, actor="am")
    assert core.secret.startswith(services.SECRET_PREFIX[CredentialPurpose.CORE_API])
    assert integration.secret.startswith(services.SECRET_PREFIX[CredentialPurpose.INTEGRATION_API])
    assert len(core.secret) > 50
    assert len(integration.secret) > 50
    assert len(igsp.secret) == 64
    assert int(igsp.secret, 16) >= 0  # IGSP secrets stay 32 random bytes in hex
    assert crypto.decrypt_secret(Credential.objects.get(pk=core.credential.pk).secret_encrypted) == core.secret


def test_revoke_now(igsp_partner):
    services.credential_revoke(credential=igsp_partner.credential, actor="am", reason="leaked")
    assert selectors.igsp_key_for_public_id(igsp_partner.api_key) is None
    assert selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.IGSP) is None
    entry = AuditLog.objects.filter(action="credential.revoke").get()
    assert entry.actor_label == "am"
    assert entry.changes["reason"] == "leaked"


def test_secrets_are_encrypted_at_rest_and_master_keys_rotate(igsp_partner, settings):
    stored = Credential.objects.get(pk=igsp_partner.credential.pk).secret_encrypted
    assert igsp_partner.secret not in stored
    assert crypto.decrypt_secret(stored) == igsp_partner.secret
    old_keys = list(settings.HUB_FERNET_KEYS)
    settings.HUB_FERNET_KEYS = [Fernet.generate_key().decode(), *old_keys]
    assert services.credentials_reencrypt_all() >= 1
    settings.HUB_FERNET_KEYS = settings.HUB_FERNET_KEYS[:1]  # old master key dropped
    assert selectors.igsp_key_for_public_id(igsp_partner.api_key).secret == igsp_partner.secret


def test_audit_log_records_changes_and_never_secrets(igsp_partner):
    services.partner_update(partner=igsp_partner, actor="am", default_currency="usd", ip_allowlist=["10.0.0.0/8"])
    entry = AuditLog.objects.filter(action="partner.update").get()
    assert entry.changes["default_currency"] == {"from": "EUR", "to": "USD"}
    everything = " ".join(str(e.changes) for e in AuditLog.objects.all())
    assert igsp_partner.secret not in everything


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://casino.example/hooks", True),
        ("https://casino.example:8443/a/b?x=1", True),
        ("http://127.0.0.1:8001/hooks", True),
        ("http://localhost/hooks", True),
        ("http://[::1]:9000/hooks", True),
        ("http://casino.example/hooks", False),
        ("http://10.0.0.5/hooks", False),
        ("https://user:pass@casino.example/hooks", False),
        ("https://token@casino.example/hooks", False),
        ("ftp://casino.example/hooks", False),
        ("file:///etc/passwd", False),
        ("https:///nohost", False),
        ("https://casino.example/ho oks", False),
        ("https://casino.example:99999/", False),
    ],
)
def test_partner_url_validation(igsp_partner, url, ok):
    if ok:
        services.partner_update(partner=igsp_partner, actor="am", igsp_hooks_url=url)
    else:
        with pytest.raises(ValidationError) as err:
            services.partner_update(partner=igsp_partner, actor="am", igsp_hooks_url=url)
        assert "igsp_hooks_url" in err.value.message_dict


def test_http_loopback_refused_when_the_setting_is_off(igsp_partner, settings):
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(ValidationError):
        services.partner_update(partner=igsp_partner, actor="am", igsp_hooks_url="http://127.0.0.1/h")


def test_ext_cid_unique_across_partners_is_a_database_constraint(public_partner, igsp_partner):
    with pytest.raises(IntegrityError):
        ExtClient.objects.create(partner=igsp_partner, ext_cid=public_partner.ext_cid, base_url="https://x.example")


def test_invalid_cidr_rejected(igsp_partner):
    with pytest.raises(ValidationError):
        services.partner_update(partner=igsp_partner, actor="am", ip_allowlist=["10.0.0.0/33"])


def test_suspend_and_activate_are_audited(igsp_partner):
    services.partner_suspend(partner=igsp_partner, actor="am", reason="chargebacks")
    services.partner_activate(partner=igsp_partner, actor="am")
    actions = list(AuditLog.objects.filter(partner=igsp_partner).values_list("action", flat=True))
    assert "partner.suspend" in actions
    assert "partner.activate" in actions


def test_issued_credential_repr_hides_the_secret(igsp_partner):
    issued = services.credential_issue(partner=igsp_partner, purpose=CredentialPurpose.CORE_API, actor="am")
    assert issued.secret not in repr(issued)
    key = selectors.partner_signing_key(partner=igsp_partner, purpose=CredentialPurpose.CORE_API)
    assert key.secret not in repr(key)
