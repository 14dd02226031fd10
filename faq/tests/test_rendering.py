import re

import pytest

from faq.rendering import html_to_text, markdown_to_html


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "Hei <script>alert(1)</script> der",
        '<img src="x" onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">klikk</a>',
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
    ],
)
def test_raw_html_in_content_is_shown_as_text_never_as_markup(markdown):
    html = markdown_to_html(markdown)

    assert set(re.findall(r"<(\w+)", html)) == {"p"}
    assert html_to_text(html) == markdown


@pytest.mark.parametrize(
    "markdown",
    [
        "[klikk](javascript:alert(1))",
        "[klikk](JaVaScRiPt:alert(1))",
        "[klikk](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[klikk](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
    ],
)
def test_links_with_unsafe_schemes_lose_their_target(markdown):
    html = markdown_to_html(markdown)

    assert "href" not in html


def test_mailto_autolink_becomes_a_working_link_that_shows_the_address():
    html = markdown_to_html("Kontakt <mailto:kundeservice@etn.no>.")

    assert html == (
        '<p>Kontakt <a href="mailto:kundeservice@etn.no" rel="noopener noreferrer">'
        "kundeservice@etn.no</a>.</p>"
    )


def test_tel_and_https_links_are_kept():
    html = markdown_to_html("Ring [35 90 40 60](tel:35904060) eller <https://print.sekvens.app>")

    assert '<a href="tel:35904060" rel="noopener noreferrer">35 90 40 60</a>' in html
    assert '<a href="https://print.sekvens.app" rel="noopener noreferrer">' in html


def test_numbered_list_and_norwegian_characters_survive():
    html = markdown_to_html("1. Gå til “Min profil”\n\n2. Velg → Adresse")

    assert "<ol>" in html
    assert "Gå til “Min profil”" in html
    assert "→" in html


def test_headings_in_an_answer_start_below_the_page_headings():
    html = markdown_to_html("# Stor\n\n## Mindre")

    assert "<h3>Stor</h3>" in html
    assert "<h4>Mindre</h4>" in html
    assert "<h1" not in html and "<h2" not in html
