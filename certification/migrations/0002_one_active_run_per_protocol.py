from django.db import migrations, models
from django.utils import timezone


def end_duplicate_active_runs(apps, schema_editor):
    """Before the constraint: of a partner's queued or running runs of one protocol, the newest stays; the others
    end as errors (they were never going to be told apart by a worker anyway)."""
    Run = apps.get_model("certification", "CertificationRun")
    seen = set()
    for run in Run.objects.filter(status__in=["queued", "running"]).order_by("-created_at"):
        key = (run.partner_id, run.protocol)
        if key in seen:
            Run.objects.filter(pk=run.pk).update(
                status="error", error="Ended: another run of this protocol was queued.", finished_at=timezone.now()
            )
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_certification_runs")]

    operations = [
        migrations.RunPython(end_duplicate_active_runs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="certificationrun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["queued", "running"])),
                fields=("partner", "protocol"),
                name="certification_one_active_run_per_protocol",
            ),
        ),
    ]
