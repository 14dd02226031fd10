from django.db import migrations

from sekvens_help.group_permissions import group_permissions_set

EDITOR_GROUP = "Redaktør"


def create_editor_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=EDITOR_GROUP)
    group_permissions_set(apps, EDITOR_GROUP, "faq")


def remove_editor_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITOR_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("faq", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editor_group, remove_editor_group)]
