import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from faq.models import SearchQueryDay
from faq.search_log import search_log_purge, search_query_normalize, search_ticketed

HELP_URL = reverse("faq:help_page")
SEARCH_URL = reverse("faq:search")
BEACON_URL = reverse("faq:search_beacon")


def counts(query, language="nb") -> tuple:
    row = SearchQueryDay.objects.get(query=query, language=language)
    return row.searches, row.no_results, row.opened, row.ticketed


def typed(client, query, **extra):
    """The last query of a typing burst, as help.js reports it."""
    return client.get(SEARCH_URL, {"q": query, "logg": "1"}, **extra)


def opened(client, query, **extra):
    return client.post(BEACON_URL, {"q": query, "hendelse": "apnet"}, **extra)


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("  Glemt   PASSORDET?! ", "glemt passordet"),
        ("Blåbær café", "blåbær cafe"),
        ("faktura kari.nordmann@example.no 12345678", "faktura"),
        ("ordre 2024-11-30 4000 12 345", "ordre"),
        ("ab", ""),
        ("a" * 300, "a" * 100),
    ],
)
def test_the_log_keeps_a_normalised_query_without_numbers_or_addresses(query, kept):
    assert search_query_normalize(query) == kept


def test_final_query_of_typing_is_counted_with_its_results(client, seed, django_assert_num_queries):
    client.get(SEARCH_URL, {"q": "passord"})  # the page's content is read once

    with django_assert_num_queries(1):  # the count (the page's row is kept in the process)
        response = typed(client, "Glemt passord")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert counts("glemt passord") == (1, 0, 0, 0)
    assert SearchQueryDay.objects.get().day == timezone.localdate()


def test_results_shown_while_typing_are_not_counted(client, seed):
    client.get(SEARCH_URL, {"q": "passord"})

    assert not SearchQueryDay.objects.exists()


def test_a_search_with_no_results_is_counted_as_such(client, seed):
    typed(client, "Hvordan baker jeg en kake?")
    typed(client, "hvordan baker jeg en kake")

    assert counts("hvordan baker jeg en kake") == (2, 2, 0, 0)


def test_short_queries_and_staff_searches_are_not_counted(client, editor_client, seed):
    typed(client, "pa")
    typed(editor_client, "passord")

    assert not SearchQueryDay.objects.exists()


def test_typing_counted_from_another_site_is_not_counted(client, seed):
    typed(client, "passord", HTTP_SEC_FETCH_SITE="cross-site")

    assert not SearchQueryDay.objects.exists()


def test_search_page_is_counted_and_stays_the_same_bytes_for_everyone(
    seed, django_assert_num_queries
):
    first, second = Client(), Client()
    first.get(HELP_URL)  # the page's content is read once

    with django_assert_num_queries(1):  # the count (the page's row is kept in the process)
        one = first.get(HELP_URL, {"q": "passord"})
    other = second.get(HELP_URL, {"q": "passord"})
    first.head(HELP_URL, {"q": "passord"})

    assert one.content == other.content
    assert one["Cache-Control"] == other["Cache-Control"]
    assert "public" in one["Cache-Control"]
    assert not one.cookies
    assert counts("passord") == (2, 0, 0, 0)


def test_each_language_is_counted_on_its_own(client, seed):
    client.get(HELP_URL, {"q": "passord"})
    client.get("/en/", {"q": "passord"})
    client.get("/en/sok/", {"q": "password", "logg": "1"})

    assert counts("passord", "nb") == (1, 0, 0, 0)
    assert counts("passord", "en") == (1, 0, 0, 0)
    assert counts("password", "en") == (1, 0, 0, 0)


def test_opened_result_is_counted_for_a_query_searched_today(client, seed):
    typed(client, "passord")

    response = opened(client, "Passord")

    assert response.status_code == 204
    assert counts("passord") == (1, 0, 1, 0)


def test_beacon_for_a_query_nobody_searched_makes_no_row(client, seed):
    response = opened(client, "x" * 10_000)

    assert response.status_code == 204
    assert not SearchQueryDay.objects.exists()


def test_beacon_from_another_site_is_refused(client, seed):
    typed(client, "passord")

    response = opened(client, "passord", HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert counts("passord") == (1, 0, 0, 0)


def test_beacon_of_an_unknown_event_is_refused(client, seed):
    typed(client, "passord")

    response = client.post(BEACON_URL, {"q": "passord", "hendelse": "sendt"})

    assert response.status_code == 400
    assert counts("passord") == (1, 0, 0, 0)


def test_one_address_adds_only_so_much_to_the_log(client, seed, settings):
    settings.SEARCH_LOG_RATE_LIMIT = "3/m"
    typed(client, "passord")

    for _ in range(5):
        opened(client, "passord")
    typed(client, "faktura")

    assert counts("passord") == (1, 0, 2, 0)
    assert not SearchQueryDay.objects.filter(query="faktura").exists()


def test_ticket_is_counted_only_for_a_query_searched_today(client, seed):
    typed(client, "faktura")

    assert search_ticketed(query="Faktura", language="nb")
    assert not search_ticketed(query="noe annet", language="nb")
    assert counts("faktura") == (1, 0, 0, 1)
    assert SearchQueryDay.objects.count() == 1


def test_purge_deletes_the_counts_of_days_past_the_retention(db, settings):
    today = timezone.localdate()
    for age in (0, 30, 31, 400):
        SearchQueryDay.objects.create(
            query=f"alder {age}", day=today - timezone.timedelta(days=age), language="nb"
        )

    assert search_log_purge(days=30, dry_run=True) == 2
    assert search_log_purge(days=30) == 2
    assert sorted(SearchQueryDay.objects.values_list("query", flat=True)) == ["alder 0", "alder 30"]


def test_purge_command_takes_the_retention_setting(db, settings, capsys):
    settings.SEARCH_LOG_RETENTION_DAYS = 10
    old = timezone.localdate() - timezone.timedelta(days=11)
    SearchQueryDay.objects.create(query="gammel", day=old, language="nb")

    call_command("purge_search_log")

    assert "1 search counts deleted (days over 10 days ago)" in capsys.readouterr().out
    assert not SearchQueryDay.objects.exists()
