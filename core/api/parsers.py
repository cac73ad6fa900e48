"""JSON parsing that never produces floats: money stays Decimal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any, NoReturn

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation: an exponent no Decimal holds (5e99999999999999999999)
        raise ValueError("a number out of range") from None


def loads_decimal(raw: bytes | str) -> Any:
    """Parse JSON with every non-integer number as Decimal (and no NaN/Infinity literals, which JSON lacks).
    Raises ValueError (or RecursionError) for anything that is not such a document."""
    return json.loads(raw, parse_float=_decimal, parse_constant=_not_json)


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
