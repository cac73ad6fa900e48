"""JSON parsing that never produces floats: money stays Decimal."""

from __future__ import annotations

import json
from decimal import Decimal

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def loads_decimal(raw: bytes | str):
    """Parse JSON with every non-integer number as Decimal."""
    return json.loads(raw, parse_float=Decimal)


class DecimalJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return loads_decimal(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError("Request body is not valid JSON.") from exc
