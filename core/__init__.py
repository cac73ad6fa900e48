"""Shared code that imports no app: domain errors, db helpers, money, signing, URL/IP policy, the pooled HTTP
client, logging."""
