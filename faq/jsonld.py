"""The help page's schema.org FAQPage data, for search engines."""

import json

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def faq_page_json_ld(entries) -> SafeString:
    """The questions and answers (anything with .question, .answer_html and .anchor) as FAQPage
    JSON-LD, each question with the address of its own page (/svar/<anchor>/, in this language):
    nothing on the page links there, so this is how a search engine finds those pages."""
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": entry.question,
                "url": settings.SITE_URL + reverse("faq:entry_page", args=[entry.anchor]),
                "acceptedAnswer": {"@type": "Answer", "text": entry.answer_html},
            }
            for entry in entries
        ],
    }
    # Escaped like Django's json_script, so no answer can close the <script> element.
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308
