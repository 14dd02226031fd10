"""Import a CMS page file (YAML front matter) into the help page, atomically and idempotently."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from faq.cms import CmsFileError, help_page_import
from faq.models import HelpPage


class Command(BaseCommand):
    help = (
        "Import a CMS page file into the help page. Entries are matched by question: a second run "
        "of the same file changes nothing. Entries the file no longer has are archived (kept with "
        "their votes, not shown, not exported), not deleted. A block the file no longer has "
        "stops the import unless --delete-missing is given. "
        "Any fault in the file leaves the database as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, help="The CMS page file, e.g. fixtures/hjelp-og-support.md"
        )
        parser.add_argument(
            "--slug", help="Store the page under this slug (default: the file's stem)."
        )
        parser.add_argument(
            "--images",
            type=Path,
            help="Folder of the images the page references as /images/NAME "
            "(default: images/ beside the file).",
        )
        parser.add_argument(
            "--delete-missing",
            action="store_true",
            help="Delete the stored blocks the file no longer has, with their entries and votes "
            "(without it such an import is refused).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what the import would change and write nothing.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when a help page is already stored (used by 'make run').",
        )

    def handle(self, *args, path, slug, images, delete_missing, dry_run, if_empty, **options):
        if if_empty and HelpPage.objects.exists():
            self.stdout.write("A help page is already stored; nothing imported.")
            return
        try:
            result = help_page_import(
                path=path,
                slug=slug,
                images_dir=images,
                delete_missing=delete_missing,
                dry_run=dry_run,
            )
        except CmsFileError as error:
            raise CommandError(str(error)) from error
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        # What leaves the page is always named; a dry run names every change.
        for change in result.changes:
            if dry_run or change.startswith(("archived ", "deleted ")):
                self.stdout.write(change)
        summary = f"Dry run, nothing written: {result}" if dry_run else str(result)
        self.stdout.write(self.style.SUCCESS(summary))
