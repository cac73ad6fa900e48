"""Fuzz the money-bearing parsers: the DRF request parser (DecimalJSONParser), the Session API stake parser
(integration_hub.session_api.serializers.parse_amount), a partner wallet's answer (wallet.transport.parse_json_decimal / partner_balance) and
the renderer round trip. Run: ``make fuzz`` or
``.venv/bin/python -m fuzz.fuzz_parsers -max_total_time=60 fuzz/corpus/parsers``."""

from __future__ import annotations

from fuzz import _harness, properties

if __name__ == "__main__":
    _harness.run(
        [
            properties.check_decimal_json_parser,
            properties.check_parse_amount,
            properties.check_partner_wallet_answer,
            properties.check_renderer_roundtrip,
        ]
    )
