"""manage.py jackpot_rtp: the RTP proof by simulation."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_jackpot_rtp_prints_the_measured_rtp_within_tolerance():
    out = StringIO()
    call_command("jackpot_rtp", "--rounds", "50000", "--rtp", "0.90", "--seed", "1", "--tolerance", "0.03", stdout=out)
    text = out.getvalue()
    assert "target RTP      0.9" in text
    assert "measured RTP" in text
    assert "OK: within" in text
    assert "jackpot" in text
    assert "lose" in text


def test_jackpot_rtp_fails_loudly_when_off_target_or_misconfigured():
    with pytest.raises(CommandError, match="off the target"):
        call_command("jackpot_rtp", "--rounds", "200", "--seed", "3", "--tolerance", "0", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("jackpot_rtp", "--rtp", "0.99", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("jackpot_rtp", "--rounds", "0", stdout=StringIO())


@pytest.mark.parametrize("rtp", ["0.85", "0.95", "0.97"])
def test_one_million_rounds_land_within_half_a_percent(rtp):
    out = StringIO()
    call_command("jackpot_rtp", "--rounds", "1000000", "--rtp", rtp, "--seed", "2025", stdout=out)
    assert "OK: within ±0.005" in out.getvalue()
