"""Reading a contact form page as a customer sees it: the error by a field, the text kept in it."""

import re
from html import unescape


def error_next_to(response, field) -> str:
    match = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', response.text, re.S
    )
    return unescape(re.sub(r"<[^>]+>", "", match[1])).strip() if match else ""


def typed_value(response, field) -> str | None:
    if match := re.search(rf'<input type="\w+" name="{field}"(?: value="([^"]*)")?', response.text):
        return unescape(match[1] or "")
    if match := re.search(
        rf'<textarea name="{field}"[^>]*>\n?(.*?)</textarea>', response.text, re.S
    ):
        return unescape(match[1])
    return None
