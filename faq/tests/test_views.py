import gzip
import json
import re
from html import unescape

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.http import parse_http_date

from conftest import SEED_PATH
from faq.models import Block, FaqEntry, FaqFeedback, FormField, HelpPage, HelpWeek
from faq.rendering import html_to_text

HELP_URL = reverse("faq:help_page")


def questions_on(response) -> list[str]:
    return [
        unescape(re.sub(r"</?mark>", "", q)).strip()
        for q in re.findall(r"<summary>(.*?)(?: <span class=\"badge|</summary>)", response.text)
    ]


def vote(client, entry, answer="ja", **headers):
    return client.post(reverse("faq:feedback", args=[entry.pk]), {"svar": answer}, **headers)


def test_help_page_shows_every_question_and_answer_of_the_seed_in_order(client, seed):
    items = yaml.safe_load(SEED_PATH.read_text().split("\n---\n")[0][4:])["blocks"][0]["items"]

    response = client.get(HELP_URL)

    assert response.status_code == 200
    assert questions_on(response) == [item["title"] for item in items]
    text = html_to_text(response.text)
    for entry in FaqEntry.objects.all():
        assert html_to_text(entry.answer_html).strip() in text


def test_help_page_is_norwegian_with_one_h1_and_the_introduction_as_description(client, seed):
    response = client.get(HELP_URL)

    assert '<html lang="nb">' in response.text
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", response.text) == ["Hjelp &amp; Support"]
    assert f'<meta name="description" content="{seed.introduction}">' in response.text


def test_help_page_links_the_support_address_and_phone(client, seed):
    response = client.get(HELP_URL)

    assert (
        '<a href="mailto:kundeservice@etn.no" rel="noopener noreferrer">kundeservice@etn.no</a>'
        in (response.text)
    )
    assert '<a href="tel:35904060" rel="noopener noreferrer">35 90 40 60</a>' in response.text


def test_each_entry_has_a_stable_anchor_that_survives_a_new_question(client, seed):
    entry = FaqEntry.objects.get(question="Jeg har glemt passordet mitt.")
    entry.question = "Glemt passord?"
    entry.save()

    response = client.get(HELP_URL)

    assert entry.anchor == "jeg-har-glemt-passordet-mitt"
    assert f'id="{entry.anchor}"' in response.text
    assert entry.get_absolute_url() == "/#jeg-har-glemt-passordet-mitt"


def test_help_form_shows_labels_placeholders_and_button_from_the_content(client, seed):
    response = client.get(HELP_URL)

    assert '<h2 id="kontakt-tittel" lang="nb">Står du fast?</h2>' in response.text
    assert "Send oss melding, så kan vi hjelpe deg." in response.text
    for field in FormField.objects.all():
        assert field.label in response.text
        assert f'placeholder="{field.placeholder}"' in response.text
    assert 'type="email"' in response.text
    assert "<textarea" in response.text
    assert ">Send melding</button>" in response.text


def test_editor_change_to_the_form_shows_on_the_next_request(client, seed):
    client.get(HELP_URL)
    field = FormField.objects.get(label="Navn")
    field.label = "Fullt navn"
    field.save()

    response = client.get(HELP_URL)

    assert "Fullt navn" in response.text


@pytest.mark.parametrize(
    "query, expected",
    [
        ("passord", ["Jeg har glemt passordet mitt.", "Hvordan logger jeg meg inn?"]),
        ("PASSORDET", ["Jeg har glemt passordet mitt.", "Hvordan logger jeg meg inn?"]),
        ("kanséllere", ["Kan jeg kansellere en bestilling?"]),
        ("fakturaadressen låst", ["Kan jeg oppdatere fakturaadressen?"]),
        ("støtt", ["Jeg har oppdaget en feil i Sekvens. Hvor kan jeg melde fra?"]),
        ("stott", []),
        ("finnes-ikke", []),
    ],
)
def test_search_finds_entries_ignoring_case_and_accents_but_not_norwegian_letters(
    client, seed, query, expected
):
    response = client.get(HELP_URL, {"q": query})

    assert questions_on(response) == expected


def test_search_with_no_match_offers_the_contact_form(client, seed):
    response = client.get(HELP_URL, {"q": "finnes-ikke"})

    assert re.search(r"<p class=\"faq-empty\" data-faq-empty>", response.text)
    assert 'href="#kontakt"' in response.text


def test_search_says_how_many_answers_match_and_links_back_to_all(client, seed):
    response = client.get(HELP_URL, {"q": "passord"})

    assert "2 svar passer med «passord»." in response.text
    assert ">Vis alle spørsmål</a>" in response.text


def test_hidden_entry_is_absent_for_the_public(client, seed):
    FaqEntry.objects.filter(question="Hvor er varene mine?").update(is_published=False)
    seed.save()

    response = client.get(HELP_URL)

    assert "Hvor er varene mine?" not in response.text
    assert len(questions_on(response)) == 10


def test_staff_see_a_hidden_entry_marked_hidden(admin_client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    entry.is_published = False
    entry.save()

    response = admin_client.get(HELP_URL)

    assert (
        '<summary>Hvor er varene mine? <span class="badge text-bg-warning">Skjult</span></summary>'
        in response.text
    )


def test_archived_entry_is_absent_for_the_public_and_in_the_staff_preview(
    client, admin_client, seed
):
    FaqEntry.objects.filter(question="Hvor er varene mine?").update(is_archived=True)
    seed.save()

    public = client.get(HELP_URL)
    staff = admin_client.get(HELP_URL)

    assert "Hvor er varene mine?" not in public.text
    assert "Hvor er varene mine?" not in staff.text
    assert len(questions_on(staff)) == 10


def test_vote_on_an_archived_entry_is_not_counted(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=entry.pk).update(is_archived=True)

    vote(client, entry, "ja")

    entry.refresh_from_db()
    assert entry.helpful_count == 0


def test_hidden_page_is_not_found_for_the_public_but_previewed_by_staff(client, admin_client, seed):
    seed.is_hidden = True
    seed.save()

    public = client.get(HELP_URL)
    staff = admin_client.get(HELP_URL)

    assert public.status_code == 404
    assert staff.status_code == 200
    assert "Denne siden er skjult for publikum" in staff.text


def test_help_page_without_content_is_not_found(client, db):
    response = client.get(HELP_URL)

    assert response.status_code == 404


def test_json_ld_lists_the_published_questions_as_a_faq_page(client, seed):
    FaqEntry.objects.filter(question="Hvor er varene mine?").update(is_published=False)
    seed.save()

    response = client.get(HELP_URL)

    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', response.text, re.S)[1]
    )
    assert data["@type"] == "FAQPage"
    assert len(data["mainEntity"]) == 10
    assert data["mainEntity"][0]["name"] == "Hvor mye koster produktene?"
    assert data["mainEntity"][0]["acceptedAnswer"]["text"].startswith("<p>Hver enkelt kunde")
    first = FaqEntry.objects.get(question="Hvor mye koster produktene?")
    assert data["mainEntity"][0]["url"] == f"{settings.SITE_URL}/svar/{first.anchor}/"
    own_page = client.get(data["mainEntity"][0]["url"].removeprefix(settings.SITE_URL))
    assert own_page.status_code == 200


def test_hostile_question_is_shown_as_text_everywhere(client, make_entry):
    make_entry(question='</script><script>alert("x")</script><img src=x onerror=alert(1)>')

    response = client.get(HELP_URL)

    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text
    assert "&lt;/script&gt;&lt;script&gt;alert" in response.text
    assert "\\u003C/script\\u003E" in response.text


def test_help_page_takes_four_queries_cold_and_none_warm_whatever_the_entries(
    client, seed, django_assert_num_queries, make_entry
):
    for _ in range(100):
        make_entry(block=Block.objects.get(kind=Block.Kind.FAQ), answer="Langt svar. " * 200)

    with django_assert_num_queries(4):
        cold = client.get(HELP_URL)
    with django_assert_num_queries(0):
        warm = client.get(HELP_URL)

    assert len(questions_on(cold)) == len(questions_on(warm)) == 111


def test_search_costs_no_query_but_its_count_in_the_search_log(
    client, seed, django_assert_num_queries
):
    client.get(HELP_URL)

    with django_assert_num_queries(0):
        client.get(HELP_URL, {"q": "pa"})  # too short to be counted
    with django_assert_num_queries(1):
        client.get(HELP_URL, {"q": "passord"})


def test_saved_answer_shows_on_the_next_request(client, seed):
    client.get(HELP_URL)
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    entry.answer = "Sjekk **sporingen**."
    entry.save()

    response = client.get(HELP_URL)

    assert "<strong>sporingen</strong>" in response.text


def test_deleted_entry_disappears_on_the_next_request(client, seed):
    client.get(HELP_URL)
    FaqEntry.objects.get(question="Hvor er varene mine?").delete()

    response = client.get(HELP_URL)

    assert "Hvor er varene mine?" not in response.text


def test_yes_vote_is_counted_and_thanked(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = vote(client, entry, "ja")

    entry.refresh_from_db()
    assert (entry.helpful_count, entry.not_helpful_count) == (1, 0)
    assert response.status_code == 200
    assert "Takk for tilbakemeldingen!" in response.text
    assert f'href="/#{entry.anchor}"' in response.text


def test_every_answer_votes_through_the_page_s_one_form_naming_itself(client, seed):
    entries = FaqEntry.objects.filter(is_published=True, is_archived=False)

    page = client.get(HELP_URL).text

    assert page.count('<form id="faq-vote" method="post" action="/svar/tilbakemelding/"') == 1
    for entry in entries:
        assert f'<button form="faq-vote" name="ja" value="{entry.pk}">Ja</button>' in page
        assert f'<button form="faq-vote" name="nei" value="{entry.pk}">Nei</button>' in page


@pytest.mark.parametrize(("button", "counts"), [("ja", (1, 0)), ("nei", (0, 1))])
def test_the_page_s_vote_form_counts_the_answer_its_button_names(client, seed, button, counts):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = client.post(reverse("faq:vote"), {button: entry.pk})

    entry.refresh_from_db()
    assert (entry.helpful_count, entry.not_helpful_count) == counts
    assert response.status_code == 200
    assert f'href="/#{entry.anchor}"' in response.text


@pytest.mark.parametrize(
    "data", [{}, {"ja": "1", "nei": "1"}, {"ja": ""}, {"ja": "x1"}, {"svar": "ja"}]
)
def test_the_page_s_vote_form_without_one_answer_named_is_refused(client, seed, data):
    response = client.post(reverse("faq:vote"), data)

    assert response.status_code == 400
    assert not FaqEntry.objects.filter(helpful_count__gt=0).exists()


def test_the_page_s_vote_form_on_an_unknown_answer_is_not_found(client, seed):
    response = client.post(reverse("faq:vote"), {"ja": "999999"})

    assert response.status_code == 404


def test_the_page_s_vote_form_refuses_another_site(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = client.post(
        reverse("faq:vote"), {"ja": entry.pk}, headers={"Sec-Fetch-Site": "cross-site"}
    )

    entry.refresh_from_db()
    assert response.status_code == 403
    assert entry.helpful_count == 0


def test_a_visitor_voting_twice_is_counted_once(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    vote(client, entry, "ja")
    vote(client, entry, "ja")

    entry.refresh_from_db()
    assert entry.helpful_count == 1


def test_a_visitor_changing_their_mind_moves_the_vote(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    vote(client, entry, "ja")
    vote(client, entry, "nei")

    entry.refresh_from_db()
    assert (entry.helpful_count, entry.not_helpful_count) == (0, 1)


def test_two_visitors_are_two_votes(client, seed, django_user_model):
    from django.test import Client

    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    vote(client, entry, "ja")
    vote(Client(), entry, "ja")

    entry.refresh_from_db()
    assert entry.helpful_count == 2


def test_forged_vote_cookie_is_ignored(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    client.cookies["faq_feedback"] = f"{entry.pk}-1"

    vote(client, entry, "nei")

    entry.refresh_from_db()
    assert (entry.helpful_count, entry.not_helpful_count) == (0, 1)


def test_vote_stores_nothing_about_the_visitor(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = vote(client, entry, "ja", REMOTE_ADDR="203.0.113.9")

    cookie = response.cookies["faq_feedback"]
    assert cookie.value.startswith(f"{entry.pk}-1:")
    assert cookie["httponly"]
    assert "203.0.113.9" not in str(list(FaqEntry.objects.values()))


def test_vote_asked_for_json_answers_json(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = vote(client, entry, "nei", HTTP_ACCEPT="application/json")

    assert response.json() == {
        "message": "Takk for tilbakemeldingen!",
        "reasons_url": reverse("faq:feedback_reasons", args=[entry.pk]),
    }


def test_vote_without_a_valid_answer_is_refused(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = vote(client, entry, "kanskje")

    entry.refresh_from_db()
    assert response.status_code == 400
    assert entry.helpful_count == entry.not_helpful_count == 0


def test_vote_on_a_hidden_entry_is_not_found(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=entry.pk).update(is_published=False)

    response = vote(client, entry)

    assert response.status_code == 404


def test_vote_does_not_invalidate_the_cached_page(client, seed, django_assert_num_queries):
    client.get(HELP_URL)
    vote(client, FaqEntry.objects.first())

    with django_assert_num_queries(0):
        client.get(HELP_URL)


def test_vote_needs_post(client, seed):
    response = client.get(reverse("faq:feedback", args=[FaqEntry.objects.first().pk]))

    assert response.status_code == 405


def test_page_changes_renew_the_content_version(seed):
    before = HelpPage.objects.get().content_version

    FormField.objects.first().save()

    assert HelpPage.objects.get().content_version != before


def test_compressed_page_is_the_same_page_as_the_plain_one(client, seed):
    plain = client.get(HELP_URL).content
    packed = client.get(HELP_URL, headers={"accept-encoding": "gzip, deflate"})

    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain


def test_every_visitor_gets_the_same_bytes_and_no_cookie(seed):
    first, second = Client().get(HELP_URL), Client().get(HELP_URL)

    assert first.content == second.content
    assert not first.cookies and "Set-Cookie" not in first


@pytest.mark.parametrize("method", ["get", "head"])
def test_anonymous_page_is_cacheable_by_anyone(client, seed, settings, method):
    settings.HELP_PAGE_MAX_AGE, settings.HELP_PAGE_STALE_WHILE_REVALIDATE = 60, 600
    settings.HELP_PAGE_VERSION_SECONDS = 0
    # With two-factor checks on, the staff check must not read a session nobody has.
    settings.STAFF_REQUIRE_2FA = True

    response = getattr(client, method)(HELP_URL, headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=600"
    assert response["Vary"] == "Accept-Encoding"
    assert re.fullmatch(r'"[^"]+"', response["ETag"])
    assert parse_http_date(response["Last-Modified"]) == int(
        HelpPage.objects.get().updated_at.timestamp()
    )
    assert "Set-Cookie" not in response and not response.cookies


@pytest.mark.parametrize("validator", ["If-None-Match", "If-Modified-Since"])
def test_conditional_get_of_an_unchanged_page_is_answered_304(client, seed, validator):
    first = client.get(HELP_URL)
    value = first["ETag"] if validator == "If-None-Match" else first["Last-Modified"]

    again = client.get(HELP_URL, headers={validator: value})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Vary"] == "Accept-Encoding"


def test_editors_change_renews_the_etag_and_answers_200_to_the_old_one(client, seed):
    first = client.get(HELP_URL)

    FaqEntry.objects.first().save()
    again = client.get(HELP_URL, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]


def test_staff_preview_is_private_and_never_stored(editor_client, seed):
    response = editor_client.get(HELP_URL)

    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    assert "ETag" not in response


def test_contact_form_posted_from_our_page_passes_without_a_csrf_cookie(seed):
    browser = Client(enforce_csrf_checks=True)
    browser.get(HELP_URL)

    response = browser.post(
        reverse("tickets:contact"),
        {"name": "Kari", "email": "kari@example.no", "message": "Fakturaen mangler."},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )

    assert response.status_code == 303


def test_help_page_answers_head_for_monitors(client, seed):
    response = client.head(HELP_URL)

    assert response.status_code == 200


def test_vote_from_another_site_is_refused(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = vote(client, entry, "ja", HTTP_SEC_FETCH_SITE="cross-site")

    entry.refresh_from_db()
    assert response.status_code == 403
    assert entry.helpful_count == 0


def test_one_address_cannot_vote_endlessly(client, seed, settings):
    from django.core.cache import cache

    cache.clear()
    entries = list(FaqEntry.objects.all()[:2])

    answers = [vote(Client(), entries[n % 2], "ja").status_code for n in range(31)]

    cache.clear()
    assert answers.count(200) == 30
    assert answers[-1] == 429


def test_vote_limit_is_the_vote_rate_limit_setting(client, seed, settings):
    from django.core.cache import cache

    cache.clear()
    settings.VOTE_RATE_LIMIT = "2/10m"
    entry = FaqEntry.objects.first()

    answers = [vote(Client(), entry, "ja").status_code for _ in range(3)]

    cache.clear()
    assert answers == [200, 200, 429]


def test_importing_a_missing_image_later_shows_it_on_the_page(client, seed, tmp_path):
    from django.core.files.base import ContentFile

    from faq.models import FaqImage
    from faq.tests.test_cms import png_bytes

    client.get(HELP_URL)
    image = FaqImage(path="/images/sekvens-trackingimage_preview.png")
    image.image.save("bilde.png", ContentFile(png_bytes()), save=True)

    response = client.get(HELP_URL)

    assert f'src="{image.image.url}"' in response.text


def test_vote_from_a_trusted_origin_without_sec_fetch_site_counts(client, seed, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://hjelp.sekvens.app"]
    entry = FaqEntry.objects.get(question="Jeg har glemt passordet mitt.")

    response = client.post(
        reverse("faq:feedback", args=[entry.pk]),
        {"svar": "ja"},
        headers={"Origin": "https://hjelp.sekvens.app"},
    )

    entry.refresh_from_db()
    assert response.status_code == 200
    assert entry.helpful_count == 1


def reasons_post(client, entry, data, **headers):
    return client.post(reverse("faq:feedback_reasons", args=[entry.pk]), data, **headers)


def test_no_vote_without_script_asks_what_was_missing_on_its_own_page(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    response = vote(client, entry, "nei")

    assert response.status_code == 200
    assert reverse("faq:feedback_reasons", args=[entry.pk]) in response.text
    assert "Svaret var uklart" in response.text
    assert "Fant ikke svaret på spørsmålet mitt" in response.text


def test_yes_vote_asks_nothing_more(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    page = vote(client, entry, "ja")
    answer = vote(client, entry, "ja", headers={"Accept": "application/json"})

    assert "data-faq-reasons-form" not in page.text
    assert answer.json() == {"message": "Takk for tilbakemeldingen!"}


def test_reasons_after_a_no_land_in_the_review_queue(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    vote(client, entry, "nei")

    response = reasons_post(
        client, entry, {"reasons": ["wrong", "unclear"], "text": "  Sporingen virker ikke.  "}
    )

    assert response.status_code == 200
    assert "Takk! Vi bruker det til å gjøre svaret bedre." in response.text
    feedback = FaqFeedback.objects.get()
    assert (feedback.entry, feedback.reasons, feedback.text) == (
        entry,
        ["unclear", "wrong"],
        "Sporingen virker ikke.",
    )


def test_reasons_without_a_no_vote_are_refused(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    vote(client, entry, "ja")

    response = reasons_post(client, entry, {"reasons": ["unclear"]})

    assert response.status_code == 403
    assert not FaqFeedback.objects.exists()


def test_reasons_from_another_site_are_refused(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    vote(client, entry, "nei")

    response = reasons_post(
        client, entry, {"reasons": ["unclear"]}, HTTP_SEC_FETCH_SITE="cross-site"
    )

    assert response.status_code == 403
    assert not FaqFeedback.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"reasons": ["ukjent"]}, {"text": "x" * 501}, {"reasons": ["unclear"], "text": "x" * 501}],
)
def test_empty_unknown_or_too_long_reasons_are_refused_with_the_form_again(client, seed, data):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    vote(client, entry, "nei")

    response = reasons_post(client, entry, data)
    answer = reasons_post(client, entry, data, headers={"Accept": "application/json"})

    assert response.status_code == answer.status_code == 400
    assert "data-faq-reasons-form" in response.text
    assert answer.json()["message"]
    assert not FaqFeedback.objects.exists()


def test_reasons_for_a_hidden_entry_are_not_found(client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    vote(client, entry, "nei")
    FaqEntry.objects.filter(pk=entry.pk).update(is_published=False)

    response = reasons_post(client, entry, {"reasons": ["unclear"]})

    assert response.status_code == 404
    assert not FaqFeedback.objects.exists()


def test_one_address_cannot_send_reasons_endlessly(client, seed, settings):
    settings.VOTE_RATE_LIMIT = "2/m"
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    vote(client, entry, "nei")

    statuses = [reasons_post(client, entry, {"reasons": ["other"]}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert FaqFeedback.objects.count() == 2


def test_help_page_carries_the_reasons_form_once_whatever_the_entries(client, seed):
    response = client.get(HELP_URL)

    assert response.text.count("data-faq-reasons-form") == 1
    assert response.text.count("<template data-faq-reasons>") == 1


@pytest.mark.django_db
def test_visit_beacon_counts_a_visit_and_the_cached_page_stays_the_same_bytes(client, seed):
    before = client.get(HELP_URL).content
    browser = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"

    counted = client.post(reverse("faq:visit_beacon"), headers={"User-Agent": browser})
    robot = client.post(reverse("faq:visit_beacon"), headers={"User-Agent": "bingbot/2.0"})
    foreign = client.post(
        reverse("faq:visit_beacon"),
        headers={"User-Agent": browser, "Sec-Fetch-Site": "cross-site"},
    )

    assert (counted.status_code, robot.status_code, foreign.status_code) == (204, 204, 403)
    assert HelpWeek.objects.get().page_visits == 1
    assert client.get(HELP_URL).content == before
    assert client.get(reverse("faq:visit_beacon")).status_code == 405
