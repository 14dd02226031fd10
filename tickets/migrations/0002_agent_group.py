from django.db import migrations

AGENT_GROUP = "Kundeservice"
# Agents work tickets and write notes; they never edit the FAQ, delete tickets or erase customers.
AGENT_PERMISSIONS = [
    "view_ticket",
    "change_ticket",
    "view_ticketnote",
    "add_ticketnote",
    "view_ticketevent",
    "view_outboundemail",
    "view_suggestionimpression",
]


def create_agent_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    # Permissions are normally made after all migrations; the group needs them now.
    app_config = apps.get_app_config("tickets")
    app_config.models_module = True
    create_contenttypes(app_config, apps=apps, verbosity=0)
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=AGENT_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="tickets", codename__in=AGENT_PERMISSIONS)
    )


def remove_agent_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AGENT_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_agent_group, remove_agent_group)]
