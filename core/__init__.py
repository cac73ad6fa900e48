"""Shared code that imports no app: domain errors, db helpers, signing, URL/IP policy, logging."""
