"""One answer on its own page, /svar/<anchor>/: for links that must work without JavaScript."""

import pytest
from django.urls import reverse

from faq.models import FaqEntry

pytestmark = pytest.mark.django_db


def entry_url(entry, language="nb"):
    prefix = "" if language == "nb" else f"/{language}"
    return f"{prefix}/svar/{entry.anchor}/"


def test_answer_page_shows_the_question_and_answer_with_a_canonical_link(client, seed, settings):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")

    response = client.get(entry_url(entry))

    assert reverse("faq:entry_page", args=[entry.anchor]) == entry_url(entry)
    html = response.text
    assert f'<h1 class="page-title">{entry.question}</h1>' in html
    assert entry.answer_html in html
    assert f'<link rel="canonical" href="{settings.SITE_URL}{entry_url(entry)}">' in html
    assert f'href="/#{entry.anchor}"' in html


def test_answer_page_in_english_has_its_own_canonical_link(client, seed, settings):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")

    response = client.get(entry_url(entry, "en"))

    assert response.status_code == 200
    assert f'<link rel="canonical" href="{settings.SITE_URL}/en/svar/{entry.anchor}/">' in (
        response.text
    )
    assert "More answers on the help page" in response.text


def test_answer_text_is_shown_as_text_never_run(client, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    entry.question = "<script>alert(1)</script> adresse?"
    entry.answer = "Klikk <img src=x onerror=alert(1)> her."
    entry.save()

    html = client.get(entry_url(entry)).text

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; adresse?" in html
    assert "<img" not in html
    assert "Klikk &lt;img src=x onerror=alert(1)&gt; her." in html


def test_hidden_answer_has_no_page(client, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    client.get(entry_url(entry))
    entry.is_published = False
    entry.save()

    assert client.get(entry_url(entry)).status_code == 404
    assert client.get("/svar/finnes-ikke/").status_code == 404


def test_answer_of_a_hidden_help_page_has_no_page(client, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    seed.is_hidden = True
    seed.save()

    assert client.get(entry_url(entry)).status_code == 404


def test_answer_page_is_cached_like_the_help_page(client, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    page = client.get("/")
    first = client.get(entry_url(entry))

    again = client.get(entry_url(entry), headers={"If-None-Match": first["ETag"]})

    assert first["Cache-Control"] == page["Cache-Control"]
    assert first["Cache-Control"].startswith("public, ")
    assert again.status_code == 304


def test_answer_page_changes_with_the_answer(client, seed):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    first = client.get(entry_url(entry))
    entry.answer = "Ja, under «Min profil»."
    entry.save()

    response = client.get(entry_url(entry))

    assert response["ETag"] != first["ETag"]
    assert "under «Min profil»" in response.text


def test_warm_answer_page_costs_no_query_like_the_help_page(
    client, seed, django_assert_num_queries
):
    entry = FaqEntry.objects.get(question="Kan jeg oppdatere fakturaadressen?")
    client.get(entry_url(entry))

    with django_assert_num_queries(0):
        response = client.get(entry_url(entry))

    assert response.status_code == 200


def test_an_answer_asking_tilbakemelding_gets_an_anchor_with_a_page_of_its_own(client, seed):
    block = FaqEntry.objects.first().block
    entry = FaqEntry.objects.create(block=block, question="Tilbakemelding", answer="Skriv til oss.")

    response = client.get(entry_url(entry))

    assert entry.anchor == "tilbakemelding-2"
    assert response.status_code == 200
    assert "Skriv til oss." in response.text
