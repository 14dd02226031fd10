"""The contact form in the help page's HelpForm block, the chat launcher and the tickets per
week of the deflection report: registered with faq at start-up, so the help page shows them
without knowing they exist."""

from faq.models import Block
from faq.pages import help_page_block_form_register, help_page_include_register
from faq.suggestions import help_week_tickets_register
from tickets.daily import tickets_per_week
from tickets.forms import ContactForm


def contact_form_new(*, fields):
    # No token: help.js fetches one when the visitor starts on the form (tickets.views).
    return ContactForm(form_fields=fields)


def register() -> None:
    help_page_block_form_register(Block.Kind.HELP_FORM, contact_form_new)
    # The chat launcher, bottom right of every help page; it asks /chat/status/ when opened.
    help_page_include_register("tickets/chat_launcher.html")
    # Help page visits per ticket, week by week, on the editors' FAQ list.
    help_week_tickets_register(tickets_per_week)
