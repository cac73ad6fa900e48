"""The outbound address policy (``core.net``): its verdicts are cached per address, never across a change of
the settings they depend on."""

from __future__ import annotations

from core import net


def test_a_cached_verdict_follows_the_settings_it_depends_on(settings):
    settings.HUB_ALLOW_HTTP_LOOPBACK = True
    settings.HUB_OUTBOUND_ALLOWED_NETWORKS = []
    assert net.outbound_address_allowed("127.0.0.1")
    assert net.outbound_address_allowed("127.0.0.1")  # asked again: the cached verdict
    settings.HUB_ALLOW_HTTP_LOOPBACK = False
    assert not net.outbound_address_allowed("127.0.0.1")
    assert not net.outbound_address_allowed("10.1.2.3")
    settings.HUB_OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert net.outbound_address_allowed("10.1.2.3")
    assert not net.outbound_address_allowed("127.0.0.1")
    assert net.outbound_address_allowed("8.8.8.8")
    assert not net.outbound_address_allowed("not an address")


def test_a_refused_ip_spelling_is_refused_every_time():
    """A refusal raises and is not cached as an answer: the second ask refuses too."""
    import pytest

    for _ in range(2):
        with pytest.raises(net.DestinationRefused):
            net.ip_literal("2130706433")
    assert str(net.ip_literal("127.0.0.1")) == "127.0.0.1"
    assert net.ip_literal("wallet.example") is None
