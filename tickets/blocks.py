"""The contact form in the help page's HelpForm block: registered with faq.pages at start-up, so
the help page shows it without knowing it exists."""

from faq.models import Block
from faq.pages import help_page_block_form_register
from tickets.forms import ContactForm


def contact_form_new(*, fields, token):
    return ContactForm(form_fields=fields, initial={"token": token} if token else None)


def register() -> None:
    help_page_block_form_register(Block.Kind.HELP_FORM, contact_form_new)
