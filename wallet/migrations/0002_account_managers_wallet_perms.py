"""Data migration: account managers may view the ledger and retry / resolve deliveries."""

from django.db import migrations

GROUP_NAME = "Account managers"
PERMISSIONS = {
    "gamesession": ["view_gamesession"],
    "round": ["view_round"],
    "transaction": ["view_transaction", "change_transaction"],
    "deliveryattempt": ["view_deliveryattempt"],
}


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
    codenames = [c for cs in PERMISSIONS.values() for c in cs]
    perms = list(Permission.objects.using(using).filter(content_type__app_label="wallet", codename__in=codenames))
    missing = sorted(set(codenames) - {p.codename for p in perms})
    if missing:
        raise RuntimeError(f"permissions missing for the {GROUP_NAME!r} group: {missing}")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).first()
    if group:
        codenames = [c for cs in PERMISSIONS.values() for c in cs]
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="wallet", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0001_initial"),
        ("tenants", "0002_account_managers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
