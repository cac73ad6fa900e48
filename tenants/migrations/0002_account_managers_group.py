"""Data migration: the "Account managers" group used by the partner admin.

Permissions are normally created after all migrations (post_migrate), so they
are created here first for the tenants app. Running it again changes nothing.
"""

from django.db import migrations

GROUP_NAME = "Account managers"

PERMISSIONS = {
    "partner": ["view_partner", "add_partner", "change_partner", "manage_credentials", "change_partner_status"],
    "extclient": ["view_extclient", "add_extclient", "change_extclient"],
    "credential": ["view_credential", "add_credential", "change_credential"],
    "auditlog": ["view_auditlog"],
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias
    app_config = apps.get_app_config("tenants")
    app_config.models_module = True  # historical app configs have none; create_permissions needs it
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = [(model, codename) for model, codenames in PERMISSIONS.items() for codename in codenames]
    perms = list(
        Permission.objects.using(using).filter(
            content_type__app_label="tenants",
            content_type__model__in=list(PERMISSIONS),
            codename__in=[codename for _, codename in wanted],
        )
    )
    found = {p.codename for p in perms}
    missing = sorted({codename for _, codename in wanted} - found)
    if missing:
        raise RuntimeError(f"permissions missing for the {GROUP_NAME!r} group: {missing}")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    group.permissions.add(*perms)


def delete_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_group, delete_group),
    ]
