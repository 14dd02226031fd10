"""The database cache's table, so that `migrate` alone gives a working site.

A database cache's table used to come only from `manage.py createcachetable`, and a deploy that
forgot it answered every contact form with a 500. This creates it for every database cache in
CACHES; the default cache (diskcache, or Redis) makes its own storage and needs none.
"""

from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"


def cache_tables_create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    for cache in settings.CACHES.values():
        if cache["BACKEND"] == DATABASE_CACHE:
            # Does nothing when the table is there already (made by createcachetable before).
            command.create_table(schema_editor.connection.alias, cache["LOCATION"], dry_run=False)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(cache_tables_create, migrations.RunPython.noop)]
