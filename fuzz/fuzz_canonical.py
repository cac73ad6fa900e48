"""Fuzz the RFC 8785 canonicaliser the Public API signs with (core.signing): canonicalize_raw on raw
bodies and canonical_query on query dicts. Run: ``make fuzz`` or
``.venv/bin/python -m fuzz.fuzz_canonical -max_total_time=60 fuzz/corpus/canonical``."""

from __future__ import annotations

import atheris

from fuzz import _harness, properties


def query_check(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    pairs = [(fdp.ConsumeUnicode(20), fdp.ConsumeUnicode(40)) for _ in range(fdp.ConsumeIntInRange(0, 8))]
    properties.check_canonical_query(pairs)


if __name__ == "__main__":
    _harness.run([properties.check_canonicalize_raw, query_check])
