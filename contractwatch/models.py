"""The contract watch's counters, written only by ``contractwatch.services`` (in the batches of wallet answers).

- ``ContractViolation``: one row per (partner, protocol, call kind, field, rule) with how many answers broke it,
  when first and last, and the last such answer, redacted as the delivery log redacts (``wallet.calllog.bounded``);
- ``ContractWatchMinute``: per partner and minute, how many answers were checked and how many broke the contract:
  the window the drift alert reads (kept ``HUB_CONTRACT_WATCH_KEEP_MINUTES``).
"""

from __future__ import annotations

from django.db import models


class ContractViolation(models.Model):
    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="contract_violations")
    protocol = models.CharField(max_length=20)
    call_kind = models.CharField(max_length=10, help_text="balance, bet, win or refund")
    field = models.CharField(max_length=200, help_text="JSON path in the answer; (body) or (status) for the whole.")
    rule = models.CharField(max_length=32, help_text="The JSON Schema keyword the answer breaks (type, required, …).")
    expected = models.CharField(max_length=300, help_text="The contract's rule, in words.")
    contract = models.CharField(max_length=120, help_text="Where the contract writes it.")
    count = models.BigIntegerField(default=0, help_text="Answers that broke it.")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    example_status = models.IntegerField(null=True, blank=True)
    example = models.JSONField(null=True, blank=True, help_text="The last such answer, redacted.")

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "protocol", "call_kind", "field", "rule"], name="contract_violation_one_counter"
            ),
        ]
        indexes = [models.Index(fields=["partner", "-last_seen_at"], name="contract_violation_recent")]

    def __str__(self) -> str:
        return f"{self.call_kind} {self.field}: {self.expected} ({self.count})"


class ContractWatchMinute(models.Model):
    partner = models.ForeignKey("tenants.Partner", on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    answers = models.IntegerField(default=0, help_text="Answers checked.")
    violations = models.IntegerField(default=0, help_text="Answers that broke the contract.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "minute"], name="contract_watch_one_minute")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.violations}/{self.answers}"
