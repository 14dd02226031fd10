"""The staff groups' permissions as the apps' data migrations give them (agents, editors).

Migrations that have run are history: change these only in ways that keep what each one gave.
"""


def app_permissions(apps, app_label: str, **filters):
    """The app's permissions that match `filters`, made now if they are not yet: Django makes
    them after all migrations, and a migration that gives them to a group needs them at once."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    # It makes the app's content types first.
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label=app_label, **filters)


def group_permissions_add(apps, group_name: str, app_label: str, **filters) -> None:
    """Give the group, where it exists, the app's permissions that match `filters`."""
    permissions = app_permissions(apps, app_label, **filters)
    for group in apps.get_model("auth", "Group").objects.filter(name=group_name):
        group.permissions.add(*permissions)


def group_permissions_set(apps, group_name: str, app_label: str, **filters) -> None:
    """The group's permissions, where it exists, become the app's that match `filters`, and
    no others."""
    permissions = app_permissions(apps, app_label, **filters)
    for group in apps.get_model("auth", "Group").objects.filter(name=group_name):
        group.permissions.set(permissions)


def group_permissions_remove(apps, group_name: str, app_label: str, **filters) -> None:
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label=app_label, **filters)
    for group in apps.get_model("auth", "Group").objects.filter(name=group_name):
        group.permissions.remove(*permissions)
