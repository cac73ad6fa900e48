"""DRF glue shared by the protocol edges: authentication base, fields, parsers, renderers, pagination."""
