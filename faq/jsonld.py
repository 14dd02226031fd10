"""The help page's schema.org FAQPage data, for search engines."""

import json

from django.utils.safestring import SafeString, mark_safe

_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def faq_page_json_ld(entries) -> SafeString:
    """The questions and answers (anything with .question and .answer_html) as FAQPage JSON-LD."""
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": entry.question,
                "acceptedAnswer": {"@type": "Answer", "text": entry.answer_html},
            }
            for entry in entries
        ],
    }
    # Escaped like Django's json_script, so no answer can close the <script> element.
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308
