"""The contact form in the help page's HelpForm block and the chat launcher: registered with
faq.pages at start-up, so the help page shows them without knowing they exist."""

from faq.models import Block
from faq.pages import help_page_block_form_register, help_page_include_register
from tickets.forms import ContactForm


def contact_form_new(*, fields):
    # No token: help.js fetches one when the visitor starts on the form (tickets.views).
    return ContactForm(form_fields=fields)


def register() -> None:
    help_page_block_form_register(Block.Kind.HELP_FORM, contact_form_new)
    # The chat launcher, bottom right of every help page; it asks /chat/status/ when opened.
    help_page_include_register("tickets/chat_launcher.html")
