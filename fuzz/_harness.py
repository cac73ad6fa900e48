"""Shared atheris driver: instrument the hub's modules, feed every input to the named property checks, and
libFuzzer writes each failing input to -artifact_prefix (make fuzz: fuzz/crashes/)."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["integration_hub", "games", "wallet", "rfc8785", "json", "simplejson"]):
    from fuzz import properties

    properties.django_setup()
    import core.api.parsers
    import core.api.renderers
    import core.signing  # noqa: F401
    import integration_hub.session_api.serializers  # noqa: F401
    import wallet.transport  # noqa: F401


def run(checks) -> None:
    def one_input(data: bytes) -> None:
        for check in checks:
            check(data)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
