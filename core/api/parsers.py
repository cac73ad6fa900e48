"""JSON parsing that never produces floats: money stays Decimal (the parser is ``core.money.loads_decimal``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.money import loads_decimal


class DecimalJSONParser(JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            return loads_decimal(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError("Request body is not valid JSON.") from exc
        except RecursionError as exc:  # nesting deeper than the interpreter's stack
            raise ParseError("Request body is nested too deeply.") from exc
