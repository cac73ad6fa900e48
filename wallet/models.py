"""Ledger models: see the wallet issue (GameSession, Round, Transaction, DeliveryAttempt)."""
