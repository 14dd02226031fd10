"""Export the help page as a CMS page file (YAML front matter), to a file or to stdout."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faq.cms import help_page_export
from faq.models import HelpPage


class Command(BaseCommand):
    help = "Write the help page as a CMS page file, in the format import_help_page reads."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, help="Where to write (default: stdout).")
        parser.add_argument("--slug", help="The page to export (default: the one served at /).")

    def handle(self, *args, path, slug, **options):
        slug = slug or settings.HELP_PAGE_SLUG
        try:
            text = help_page_export(slug=slug)
        except HelpPage.DoesNotExist as error:
            raise CommandError(f"No help page with the slug '{slug}' is stored.") from error
        if path is None:
            self.stdout.write(text, ending="")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
