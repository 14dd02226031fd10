"""The contact form in the help page's HelpForm block: registered with faq.pages at start-up, so
the help page shows it without knowing it exists."""

from faq.models import Block
from faq.pages import help_page_block_form_register
from tickets.forms import ContactForm


def contact_form_new(*, fields):
    # No token: help.js fetches one when the visitor starts on the form (tickets.views).
    return ContactForm(form_fields=fields)


def register() -> None:
    help_page_block_form_register(Block.Kind.HELP_FORM, contact_form_new)
