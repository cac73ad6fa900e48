"""Certification runs: the runner's verdict on a partner's wallet, kept per run (history)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tenants.models import ExtClient, Partner


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"  # the run could not start (no key, no URL, unreachable)


class RunProtocol(models.TextChoices):
    IGSP = "igsp", "IGSP hooks"
    PUBLIC_API = "public_api", "Public API (ExtCID base URL)"


class CertificationRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="certification_runs")
    protocol = models.CharField(max_length=20, choices=RunProtocol.choices)
    ext_client = models.ForeignKey(ExtClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_url = models.CharField(max_length=500, help_text="The hooks URL or ExtCID base URL tested.")
    player_id = models.CharField(max_length=255, blank=True, help_text="IGSP: the test player.")
    session_id = models.CharField(max_length=255, blank=True, help_text="Public API: the test player's sessionID.")
    currency = models.CharField(max_length=12)
    groups = models.JSONField(default=list, blank=True, help_text="Case groups run; empty = all (a full run).")
    budget_seconds = models.DecimalField(max_digits=6, decimal_places=2, default=5)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    hub_version = models.CharField(max_length=64, help_text="The hub's code version the run certified.")
    requested_via = models.CharField(max_length=20, default="admin")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_label = models.CharField(max_length=200, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    passed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    start_balance = models.CharField(max_length=40, blank=True)
    end_balance = models.CharField(max_length=40, blank=True)
    adjustments = models.JSONField(default=list, blank=True, help_text="Movements made to restore the balance.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "status", "hub_version"])]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "protocol"],
                condition=models.Q(status__in=["queued", "running"]),
                name="certification_one_active_run_per_protocol",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.protocol} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_full(self) -> bool:
        return not self.groups

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR)

    @property
    def progress_percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.finished else 0)


class CaseResult(models.Model):
    run = models.ForeignKey(CertificationRun, on_delete=models.CASCADE, related_name="results")
    seq = models.PositiveIntegerField()
    case_id = models.CharField(max_length=64)
    group = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    passed = models.BooleanField()
    expected = models.TextField(blank=True)
    actual = models.TextField(blank=True)
    fix = models.TextField(blank=True, help_text="How to fix, in one line.")
    exchanges = models.JSONField(default=list, blank=True, help_text="Every request sent and the partner's answer.")
    ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "case_id"], name="certification_case_once_per_run")]

    def __str__(self) -> str:
        return f"{self.case_id}: {'pass' if self.passed else 'FAIL'}"
