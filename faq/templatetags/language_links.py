"""This page in each language: the header's language switch and the head's hreflang links."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.http import urlencode
from django.utils.translation import get_language, override

register = template.Library()

# Each language by the name its own readers look for; never translated.
LANGUAGE_NAMES = {"nb": "Norsk", "en": "English"}


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    path: str
    is_current: bool

    @property
    def url(self) -> str:
        return settings.SITE_URL + self.path


@dataclass(frozen=True)
class LanguageLinks:
    links: tuple[LanguageLink, ...]
    # False where the links lead to the help page instead of this page's own translations.
    is_this_page: bool

    @property
    def default(self) -> LanguageLink:
        return next(link for link in self.links if link.code == settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def language_links(context) -> LanguageLinks:
    """A page fetched with GET has an address in each language. The answer to a form (POST) and
    an address no route knows have none, so their links lead to the help page. With no request in
    the context this is the help page itself, rendered once for every visitor (faq.responses), so
    nothing here may depend on the request."""
    request = context.get("request")
    is_this_page = request is None or (
        request.method in ("GET", "HEAD") and request.resolver_match is not None
    )
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        if request is not None and is_this_page:
            path = translate_url(request.get_full_path(), code)
        else:
            with override(code):
                path = reverse("faq:help_page")
            # A search page rendered once for every visitor (faq.pages) links to its own search.
            if request is None and context.get("query"):
                path += "?" + urlencode({"q": context["query"]})
        links.append(LanguageLink(code, LANGUAGE_NAMES.get(code, code), path, code == current))
    return LanguageLinks(tuple(links), is_this_page)
