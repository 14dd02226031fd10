import re
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from faq.models import Block, FaqEntry, FormField, HelpPage

CATALOG = polib.pofile(settings.BASE_DIR / "locale" / "nb" / "LC_MESSAGES" / "django.po")
# Where the texts of the customer's pages come from; the rest of the catalogue is the admin's.
PUBLIC_SOURCES = re.compile(
    r"^templates/(base|404|429)\.html$|^templates/(faq|includes)/|^templates/tickets/thanks\.html$"
    r"|^(faq/views|tickets/forms)\.py$"
)
# Texts that read the same in both languages: our name, "Send", the support address, a ticket
# reference, punctuation.
LANGUAGE_NEUTRAL = re.compile(r"^(Sekvens( ·)?|Send|\S+@\S+|SEK-\d+|[\W_]+)$")
SITE = "http://127.0.0.1:8000"


class InterfaceText(HTMLParser):
    """The texts a visitor reads or hears in the page's own language: text and the attributes
    that are read out or shown, leaving out <head>, scripts and parts marked with another lang."""

    VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
    # data-*: the texts help.js shows (a search's count, a vote that failed).
    READ_ATTRIBUTES = {
        "placeholder",
        "aria-label",
        "title",
        "alt",
        "data-one",
        "data-many",
        "data-error",
    }
    SKIPPED_ELEMENTS = {"head", "script", "style"}

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.texts: list[str] = []
        self._open: list[str] = []
        self._skipped_from: int | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._skipped_from is None and (
            tag in self.SKIPPED_ELEMENTS or attrs.get("lang", self.language) != self.language
        ):
            self._skipped_from = len(self._open)
        if self._skipped_from is None:
            self.texts += [v for name, v in attrs.items() if name in self.READ_ATTRIBUTES and v]
        if tag not in self.VOID_ELEMENTS:
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID_ELEMENTS or tag not in self._open:
            return
        while self._open.pop() != tag:
            pass
        if self._skipped_from is not None and len(self._open) <= self._skipped_from:
            self._skipped_from = None

    def handle_data(self, data):
        if self._skipped_from is None and data.strip():
            self.texts.append(" ".join(data.split()))


def interface_texts(response, language: str) -> list[str]:
    """The page's own texts, less what editors wrote (the content stays Norwegian on /en/)."""
    parser = InterfaceText(language)
    parser.feed(response.text)
    content = {
        *HelpPage.objects.values_list("title", flat=True),
        *Block.objects.values_list("title", flat=True),
        *FaqEntry.objects.values_list("question", flat=True),
        *FormField.objects.values_list("label", flat=True),
        *FormField.objects.values_list("placeholder", flat=True),
    }
    return [text for text in parser.texts if text not in content]


def catalog_texts(entry: polib.POEntry) -> tuple[list[str], list[str]]:
    """The English and the Norwegian forms of a catalogue entry, plurals included."""
    english = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
    norwegian = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
    return [t for t in english if t], [t for t in norwegian if t]


def findable(text: str) -> re.Pattern:
    """The longest literal stretch of a catalogue text, as a whole-word pattern: placeholders
    (%(name)s, %s) and markup are filled in or split off on the page."""
    text = re.sub(r"<[^>]+>", "%s", text.replace("%%", "%"))
    longest = max(re.split(r"%\(\w+\)[sd]|%[sd]", text), key=len).strip()
    return re.compile(rf"(?<!\w){re.escape(longest)}(?!\w)")


PUBLIC_ENTRIES = [
    entry
    for entry in CATALOG.translated_entries()
    if any(PUBLIC_SOURCES.search(path) for path, _line in entry.occurrences)
    and catalog_texts(entry)[0] != catalog_texts(entry)[1]
]


@pytest.fixture(autouse=True)
def _one_message_per_address(db, settings):
    # So the second message of too_many_messages_page is refused; the limit counts in the cache.
    settings.CONTACT_RATE_LIMIT = "1/10m"
    yield
    cache.clear()


def contact_data(client, prefix: str, **overrides) -> dict:
    client.get(f"{prefix}/")
    # The token help.js fetches when the visitor starts on the form.
    token = client.get(f"{prefix}/kontakt/skjema/").json()["token"]
    data = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Hei!"}
    return data | {"token": token} | overrides


def help_page(client, prefix):
    return client.get(f"{prefix}/")


def search_with_matches(client, prefix):
    return client.get(f"{prefix}/?q=passord")


def search_without_a_match(client, prefix):
    return client.get(f"{prefix}/?q=blomsterpotte")


def contact_form_with_errors(client, prefix):
    return client.post(
        f"{prefix}/kontakt/", contact_data(client, prefix, email="kari@", message="")
    )


def success_page(client, prefix):
    client.post(f"{prefix}/kontakt/", contact_data(client, prefix))
    return client.get(f"{prefix}/suksess/")


def not_found_page(client, prefix):
    return client.get(f"{prefix}/finnes-ikke/side/")


def too_many_messages_page(client, prefix):
    client.post(f"{prefix}/kontakt/", contact_data(client, prefix))
    return client.post(f"{prefix}/kontakt/", contact_data(client, prefix))


def feedback_thanks_page(client, prefix):
    return client.post(
        f"{prefix}/svar/{FaqEntry.objects.first().pk}/tilbakemelding/", {"svar": "ja"}
    )


PAGES = [
    help_page,
    search_with_matches,
    search_without_a_match,
    contact_form_with_errors,
    success_page,
    not_found_page,
    too_many_messages_page,
    feedback_thanks_page,
]


def page_in(language: str, visit) -> list[str]:
    cache.clear()
    response = visit(Client(), "" if language == "nb" else f"/{language}")
    assert f'<html lang="{language}">' in response.text
    return interface_texts(response, language)


@pytest.mark.parametrize("visit", PAGES, ids=[visit.__name__ for visit in PAGES])
def test_norwegian_page_has_no_english_text_of_ours(seed, visit):
    text = " | ".join(page_in("nb", visit))

    english = [t for e in PUBLIC_ENTRIES for t in catalog_texts(e)[0] if findable(t).search(text)]

    assert text
    assert english == []


@pytest.mark.parametrize("visit", PAGES, ids=[visit.__name__ for visit in PAGES])
def test_english_page_has_no_norwegian_text_of_ours(seed, visit):
    text = " | ".join(page_in("en", visit))

    norwegian = [t for e in PUBLIC_ENTRIES for t in catalog_texts(e)[1] if findable(t).search(text)]

    assert text
    assert norwegian == []


@pytest.mark.parametrize("visit", PAGES, ids=[visit.__name__ for visit in PAGES])
def test_every_text_of_ours_differs_between_the_norwegian_and_the_english_page(seed, visit):
    # Catches a text that the catalogue lacks, and so shows in English on the Norwegian page.
    norwegian, english = page_in("nb", visit), page_in("en", visit)

    same = [text for text in norwegian if text in english and not LANGUAGE_NEUTRAL.match(text)]

    assert same == []


def switch_links(response) -> list[str]:
    return re.findall(r'<a class="language-switch"[^>]*>[^<]*</a>', response.text)


def alternate_links(response) -> list[str]:
    return re.findall(r'<link rel="alternate"[^>]*>', response.text)


def test_english_help_page_is_at_en_with_the_content_as_written(client, seed):
    response = client.get("/en/")

    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert '<h1 class="page-title" lang="nb">Hjelp &amp; Support</h1>' in response.text
    assert "Search the questions" in response.text


@pytest.mark.parametrize(
    ("path", "link"),
    [
        ("/", '<a class="language-switch" href="/en/" lang="en" hreflang="en">English</a>'),
        ("/en/", '<a class="language-switch" href="/" lang="nb" hreflang="nb">Norsk</a>'),
        ("/?q=passord", '<a class="language-switch" href="/en/?q=passord" lang="en"'),
        ("/en/suksess/", '<a class="language-switch" href="/suksess/" lang="nb"'),
    ],
)
def test_language_switch_links_the_same_page_in_the_other_language(client, seed, path, link):
    response = client.get(path)

    assert len(switch_links(response)) == 1
    assert switch_links(response)[0].startswith(link)


def test_help_page_names_its_address_in_each_language_in_the_head(client, seed):
    response = client.get("/en/")

    assert alternate_links(response) == [
        f'<link rel="alternate" hreflang="nb" href="{SITE}/">',
        f'<link rel="alternate" hreflang="en" href="{SITE}/en/">',
        f'<link rel="alternate" hreflang="x-default" href="{SITE}/">',
    ]


@pytest.mark.parametrize(
    ("visit", "link"),
    [
        (not_found_page, '<a class="language-switch" href="/" lang="nb" hreflang="nb">Norsk</a>'),
        (contact_form_with_errors, '<a class="language-switch" href="/" lang="nb" hreflang="nb">'),
        (feedback_thanks_page, '<a class="language-switch" href="/" lang="nb" hreflang="nb">'),
    ],
    ids=["404", "contact form with errors", "feedback thanks"],
)
def test_page_with_no_address_of_its_own_switches_to_the_help_page(seed, visit, link):
    response = visit(Client(), "/en")

    assert switch_links(response)[0].startswith(link)
    assert alternate_links(response) == []


def test_not_found_page_names_no_addresses_in_other_languages_in_the_head(client, seed):
    # One slug: the thanks page's route matches it, and then finds no form that lands there.
    response = client.get("/finnes-ikke/")

    assert response.status_code == 404
    assert alternate_links(response) == []


def test_help_page_kept_for_one_language_is_never_served_in_the_other(client, seed):
    english = client.get("/en/")
    norwegian = client.get("/")
    english_again = client.get("/en/")

    assert '<html lang="en">' in english.text and '<html lang="en">' in english_again.text
    assert '<html lang="nb">' in norwegian.text
    assert "Søk i spørsmålene" in norwegian.text


def test_english_help_page_sends_its_forms_to_english_addresses(client, seed):
    response = client.get("/en/")

    assert 'action="/en/kontakt/#kontakt"' in response.text
    assert 'data-suggest-url="/en/kontakt/forslag/"' in response.text
    assert 'id="faq-vote" method="post" action="/en/svar/tilbakemelding/"' in response.text


def test_english_help_page_marks_its_interface_english_inside_the_norwegian_answers(client, seed):
    entry = FaqEntry.objects.first()

    response = client.get("/en/")

    assert '<div class="faq-list" lang="nb" data-faq-list>' in response.text
    assert (
        f'<p lang="en">Was this answer helpful? <button form="faq-vote" name="ja" '
        f'value="{entry.pk}">Yes</button>'
    ) in response.text


def test_english_contact_form_with_errors_comes_back_in_english(client, seed):
    response = client.post("/en/kontakt/", contact_data(client, "/en", message=""))

    assert response.status_code == 400
    assert '<html lang="en">' in response.text
    assert "Please correct the fields marked below:" in response.text
    assert "This field is required." in response.text


def test_english_vote_is_thanked_in_english(client, seed):
    entry = FaqEntry.objects.first()

    response = client.post(
        f"/en/svar/{entry.pk}/tilbakemelding/", {"svar": "ja"}, HTTP_ACCEPT="application/json"
    )

    assert response.json() == {"message": "Thank you for your feedback!"}


def test_admin_stays_at_its_own_address_and_has_no_english_one(admin_client, seed):
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/en/admin/").status_code == 404
