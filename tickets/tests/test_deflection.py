import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from faq.models import FaqEntry, HelpWeek
from faq.responses import form_token_new, form_token_read
from faq.suggestions import week_of
from tickets.daily import ticket_days_update
from tickets.models import SuggestionImpression
from tickets.services import suggestion_impressions_record, ticket_create

CHANGELIST = reverse("admin:faq_faqentry_changelist")
OPENED_URL = reverse("tickets:suggestion_opened")
VISIT_URL = reverse("faq:visit_beacon")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"


def form_with_suggestions(*entries, sent=False) -> uuid.UUID:
    """One customer's contact form that was shown these entries, and sent if `sent`."""
    token = uuid.uuid4()
    suggestion_impressions_record(form_token=token, entries=list(entries))
    if sent:
        ticket_create(
            name="Kari Nordmann",
            email="kari@example.no",
            message="Passordet virker ikke.",
            submission_token=token,
            form_token=token,
        )
    return token


def row_of(response, entry) -> str:
    rows = re.findall(r"<tr.*?</tr>", response.text, re.S)
    return next(row for row in rows if f"/faq/faqentry/{entry.pk}/change/" in row)


def cell(row, column) -> str:
    return re.search(rf'<td class="field-{column}[^"]*">(.*?)</td>', row, re.S)[1].strip()


def deflection_figures(response) -> list[str]:
    paragraph = re.search(r"<p [^>]*data-deflection>(.*?)</p>", response.text, re.S)[1]
    return re.findall(r"\d+", paragraph)


def test_changelist_shows_how_often_each_entry_was_suggested_and_still_sent(
    editor_client, make_entry
):
    password, delivery = make_entry(), make_entry()
    form_with_suggestions(password, delivery, sent=True)
    form_with_suggestions(password)
    form_with_suggestions(password)

    response = editor_client.get(CHANGELIST)

    assert (cell(row_of(response, password), "suggested_count")) == "3"
    assert (cell(row_of(response, password), "sent_anyway_count")) == "1"
    assert (cell(row_of(response, delivery), "suggested_count")) == "1"
    assert (cell(row_of(response, delivery), "sent_anyway_count")) == "1"


def test_entry_never_suggested_shows_zero(editor_client, make_entry):
    entry = make_entry()

    response = editor_client.get(CHANGELIST)

    assert cell(row_of(response, entry), "suggested_count") == "0"
    assert cell(row_of(response, entry), "sent_anyway_count") == "0"


def test_changelist_sorts_by_how_often_an_entry_was_suggested(editor_client, make_entry):
    rare, often = make_entry(), make_entry()
    form_with_suggestions(rare, often)
    form_with_suggestions(often)
    header = editor_client.get(CHANGELIST).text
    column = re.search(r'class="sortable column-suggested_count.*?href="\?o=(\d+)', header, re.S)

    response = editor_client.get(CHANGELIST, {"o": f"-{column[1]}"})

    assert response.text.index(often.question) < response.text.index(rare.question)


def test_deflection_rate_counts_each_form_once_and_the_unsent_ones_as_deflected(
    editor_client, make_entry
):
    password, delivery = make_entry(), make_entry()
    form_with_suggestions(password, delivery, sent=True)
    form_with_suggestions(password, delivery)
    form_with_suggestions(password)
    form_with_suggestions(delivery)

    response = editor_client.get(CHANGELIST)

    assert deflection_figures(response) == ["4", "3", "75"]


def test_no_deflection_rate_before_any_suggestion(editor_client, make_entry):
    make_entry()

    response = editor_client.get(CHANGELIST)

    assert deflection_figures(response) == []


def test_editor_sees_the_figures_without_any_ticket_permission(editor, editor_client, make_entry):
    entry = make_entry()
    form_with_suggestions(entry, sent=True)
    form_with_suggestions(entry)

    response = editor_client.get(CHANGELIST)

    assert not [perm for perm in editor.get_all_permissions() if perm.startswith("tickets.")]
    assert cell(row_of(response, entry), "suggested_count") == "2"
    assert deflection_figures(response) == ["2", "1", "50"]
    assert "kari@example.no" not in response.text
    assert "Kari Nordmann" not in response.text


def test_drag_and_drop_still_works_with_the_figures_on_the_changelist(editor_client, make_entry):
    make_entry()

    response = editor_client.get(CHANGELIST)

    assert 'id="admin_sortable2_config"' in response.text
    assert reverse("admin:faq_faqentry_sortable_update") in response.text
    assert "adminsortable2/js/adminsortable2" in response.text
    assert "data-deflection" in response.text


@pytest.mark.parametrize("forms", [1, 50])
def test_changelist_query_count_does_not_grow_with_suggestions(
    editor_client, make_entry, django_assert_num_queries, forms
):
    entries = [make_entry() for _ in range(10)]
    for number in range(forms):
        form_with_suggestions(*entries[:3], sent=number % 2 == 0)

    # Two more than the list itself: this period's weeks (HelpWeek) and their tickets (TicketDay).
    with django_assert_num_queries(14):
        response = editor_client.get(CHANGELIST)

    assert response.status_code == 200


def week_row(response, week) -> list[str]:
    row = re.search(rf'<tr data-week="{week:%Y-%m-%d}">(.*?)</tr>', response.text, re.S)[1]
    return [re.sub(r"<.*?>", "", cell).strip() for cell in re.findall(r"<t[hd].*?</t[hd]>", row)]


def test_opening_a_suggested_answer_counts_once_per_form_and_only_when_suggested(
    client, editor_client, make_entry
):
    shown, other = make_entry(), make_entry()
    signed = form_token_new()
    suggestion_impressions_record(form_token=form_token_read(signed), entries=[shown])

    for entry in (shown, shown, other):
        response = client.post(OPENED_URL, {"token": signed, "entry": entry.pk})
        assert response.status_code == 204
    client.post(OPENED_URL, {"token": str(uuid.uuid4()), "entry": shown.pk})  # not ours

    changelist = editor_client.get(CHANGELIST)
    assert cell(row_of(changelist, shown), "suggestion_opened_count") == "1"
    assert cell(row_of(changelist, other), "suggestion_opened_count") == "0"
    assert SuggestionImpression.objects.get(entry=shown).opened_at is not None


def test_opened_from_a_suggestion_is_refused_from_another_site(client, make_entry):
    entry = make_entry()
    signed = form_token_new()
    suggestion_impressions_record(form_token=form_token_read(signed), entries=[entry])

    response = client.post(
        OPENED_URL, {"token": signed, "entry": entry.pk}, headers={"Sec-Fetch-Site": "cross-site"}
    )

    assert response.status_code == 403
    assert FaqEntry.objects.get(pk=entry.pk).suggestion_opened_count == 0


def test_week_shows_visits_per_ticket_and_the_forms_shown_suggestions_not_sent(
    client, editor_client, make_entry
):
    entry = make_entry()
    for _ in range(6):
        assert client.post(VISIT_URL, headers={"User-Agent": BROWSER}).status_code == 204
    client.post(
        VISIT_URL, headers={"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}
    )
    form_with_suggestions(entry, sent=True)
    form_with_suggestions(entry)
    form_with_suggestions(entry)
    ticket_create(name="Ola", email="ola@example.no", message="Hei.", confirm=False)
    ticket_days_update()

    response = editor_client.get(CHANGELIST)

    this_week = week_of(timezone.localdate())
    # Week, visits, tickets (2: one sent after suggestions, one without), visits per ticket,
    # forms shown suggestions, not sent.
    assert week_row(response, this_week) == [
        f"{this_week:%G}-W{this_week:%V}",
        "6",
        "2",
        "3,0",
        "3",
        "2 (66 %)",
    ]
    assert week_row(response, this_week - timedelta(weeks=1))[1:] == ["0", "0", "–", "0", "0"]
    assert "Googlebot" not in response.text


def test_form_sent_in_a_later_week_counts_in_the_week_it_was_shown_suggestions(make_entry):
    entry = make_entry()
    token = form_with_suggestions(entry)
    last_week = week_of(timezone.localdate()) - timedelta(weeks=1)
    shown_at = timezone.now() - timedelta(weeks=1)
    SuggestionImpression.objects.filter(form_token=token).update(created_at=shown_at)
    HelpWeek.objects.filter(suggested_forms=1).update(week=last_week)

    ticket_create(
        name="Kari",
        email="kari@example.no",
        message="Likevel.",
        submission_token=token,
        form_token=token,
    )

    week = HelpWeek.objects.get(week=last_week)
    assert (week.suggested_forms, week.sent_anyway_forms) == (1, 1)
    assert not HelpWeek.objects.filter(week__gt=last_week, sent_anyway_forms__gt=0).exists()
