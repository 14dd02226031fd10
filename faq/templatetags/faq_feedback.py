"""The form asking what was missing from an answer: one markup for the page and the no-JS page."""

from django import template

from faq.forms import FeedbackReasonsForm

register = template.Library()


@register.inclusion_tag("includes/faq_reasons_form.html")
def faq_reasons_form(action: str = "", form: FeedbackReasonsForm | None = None) -> dict:
    # No ids: help.js copies the page's one form under each answer that was found unhelpful.
    return {"action": action, "form": form or FeedbackReasonsForm(auto_id=False)}
