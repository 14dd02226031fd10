import re
import uuid

import pytest
from django.urls import reverse

from tickets.services import suggestion_impressions_record, ticket_create

CHANGELIST = reverse("admin:faq_faqentry_changelist")


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

    with django_assert_num_queries(12):
        response = editor_client.get(CHANGELIST)

    assert response.status_code == 200
