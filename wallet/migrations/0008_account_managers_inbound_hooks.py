"""Data migration: account managers may view the inbound IGSP hooks of their partners (the admin's list)."""

from django.db import migrations

GROUP_NAME = "Account managers"
CODENAMES = ["view_inboundhook"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias
    app_config = apps.get_app_config("wallet")
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(Permission.objects.using(using).filter(content_type__app_label="wallet", codename__in=CODENAMES))
    if len(perms) != len(CODENAMES):
        raise RuntimeError(f"permissions missing for the {GROUP_NAME!r} group: {CODENAMES}")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).first()
    if group:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="wallet", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [("wallet", "0007_partition_ledger")]
    operations = [migrations.RunPython(grant, revoke)]
