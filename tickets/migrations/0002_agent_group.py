from django.db import migrations

from sekvens_help.group_permissions import group_permissions_set

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
    apps.get_model("auth", "Group").objects.get_or_create(name=AGENT_GROUP)
    group_permissions_set(apps, AGENT_GROUP, "tickets", codename__in=AGENT_PERMISSIONS)


def remove_agent_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AGENT_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_agent_group, remove_agent_group)]
