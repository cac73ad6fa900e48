"""The protocol edges: IGSP (``igsp/``), the Public API (``public_api/``), the registration API (``registration/``)."""
