"""Checks on what editors write that the model's field types cannot express."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The thanks page is served at /<slug:slug>/ (tickets/urls.py), so the path is one such slug.
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
# First parts of paths the site serves already; a success page there would be shadowed or shadow.
# "kontakt" and "sak" (the contact form, the customer's ticket page) are tickets', named here
# because faq does not import tickets.
RESERVED_PATHS = {"kontakt", "sak", "static", "media", "en", "healthz", "svar"}


def success_path_validate(value: str) -> None:
    """One slug, written with or without slashes (/suksess, suksess/), not a path the site uses."""
    slug = value.strip("/")
    if not SLUG.fullmatch(slug):
        raise ValidationError(
            _(
                "Write the success path as one word of letters, digits, hyphens or "
                "underscores, for example /suksess."
            ),
            code="invalid",
        )
    # A nested admin path (staff/admin/) takes its first part for the site too.
    admin_first = settings.ADMIN_URL.strip("/").split("/")[0].lower()
    if slug.lower() in RESERVED_PATHS | {admin_first}:
        raise ValidationError(
            _("The site already uses /%(path)s/; choose another success path."),
            code="reserved",
            params={"path": slug},
        )
