"""Copy the live SQLite database to a file, consistently, while the site goes on writing."""

import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the SQLite database to PATH with SQLite's online backup, "
        "which is safe while the web and worker processes write (copying the file is not: "
        "the WAL holds the latest commits). For PostgreSQL use pg_dump."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The file to write; must not exist yet.")

    def handle(self, *args, path, **options):
        if connection.vendor != "sqlite":
            raise CommandError(f"The database is {connection.vendor}: back it up with pg_dump.")
        if path.exists():
            raise CommandError(f"{path} exists already; name a new file.")
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        target.close()
        self.stdout.write(self.style.SUCCESS(f"Database copied to {path}"))
