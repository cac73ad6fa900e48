"""The registration API for platform scripts: POST /api/v1/partners/register (``X-Admin-Key``)."""
