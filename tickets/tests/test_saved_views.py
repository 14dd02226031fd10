"""Saved views of the ticket changelist (tickets.saved_views, their pages in tickets.desk)."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tickets.admin import TicketAdmin
from tickets.models import SavedView, Ticket
from tickets.references import reference_new
from tickets.saved_views import saved_view_parameters, saved_view_query

CHANGELIST = reverse("admin:tickets_ticket_changelist")
SAVE = reverse("admin:tickets_ticket_view_save")


@pytest.fixture
def colleague(django_user_model):
    user = django_user_model.objects.create_user("kollega", is_staff=True)
    user.groups.add(Group.objects.get(name="Kundeservice"))
    return user


@pytest.fixture
def allowed():
    from django.contrib import admin

    return saved_view_parameters(TicketAdmin(Ticket, admin.site))


def delete_url(view) -> str:
    return reverse("admin:tickets_ticket_view_delete", args=[view.pk])


def tabs(response) -> list[str]:
    nav = re.search(r'<nav class="desk-tabs desk-views".*?</nav>', response.text, re.S)[0]
    return re.findall(r'<a href="[^"]*"[^>]*>([^<]+)', nav)


def test_only_the_changelists_own_parameters_are_kept_in_a_fixed_order(allowed):
    query = "status__exact=open&next=https://evil.example&o=7&_to_field=id&q=faktura&p=3&sla=soon"

    kept = saved_view_query(query, allowed=allowed)

    assert kept == "o=7&q=faktura&sla=soon&status__exact=open"


def test_the_allowed_parameters_are_the_changelists_filters_search_and_sort(allowed):
    assert {"q", "o", "status__exact", "priority__exact", "sla", "assignee", "email"} <= allowed
    assert "next" not in allowed


def test_an_agent_saves_the_current_filter_and_sort_under_a_name(agent_client, agent):
    response = agent_client.post(
        SAVE, {"name": "  Mine   åpne ", "query": "status__exact=open&assignee=me&o=-7"}
    )

    view = SavedView.objects.get()
    assert (view.name, view.owner, view.is_shared) == ("Mine åpne", agent, False)
    assert view.query == "assignee=me&o=-7&status__exact=open"
    assert response.status_code == 303
    assert response["Location"] == f"{CHANGELIST}?{view.query}"


def test_a_view_never_leads_away_from_the_changelist(agent_client):
    response = agent_client.post(
        SAVE, {"name": "Ut", "query": "//evil.example/?next=https://evil.example"}
    )

    assert response["Location"] == CHANGELIST
    assert SavedView.objects.get().query == ""


def test_saving_under_the_same_name_again_replaces_the_view(agent_client):
    agent_client.post(SAVE, {"name": "Åpne", "query": "status__exact=open"})

    agent_client.post(SAVE, {"name": "Åpne", "query": "status__exact=new", "is_shared": "on"})

    view = SavedView.objects.get()
    assert (view.query, view.is_shared) == ("status__exact=new", True)


def test_a_view_without_a_name_is_refused_and_the_filter_kept(agent_client):
    response = agent_client.post(SAVE, {"name": "  ", "query": "status__exact=open"}, follow=True)

    assert "Gi visningen et navn." in response.text
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}?status__exact=open"
    assert not SavedView.objects.exists()


def test_the_tabs_show_own_and_shared_views_but_not_a_colleagues_own(
    agent_client, agent, colleague
):
    SavedView.objects.create(owner=agent, name="Mine", query="assignee=me")
    SavedView.objects.create(owner=colleague, name="Delt", query="sla=soon", is_shared=True)
    SavedView.objects.create(owner=colleague, name="Privat", query="sla=ok")

    response = agent_client.get(CHANGELIST)

    assert tabs(response) == ["Alle saker", "Delt ", "Mine"]
    assert f'href="{CHANGELIST}?sla=soon"' in response.text


def test_the_open_view_is_marked_and_its_filter_applied(agent_client, agent, make_ticket_row):
    view = SavedView.objects.create(owner=agent, name="Åpne", query="status__exact=open")
    open_ = make_ticket_row(name="A", email="a@example.no", message="x", status="open")
    make_ticket_row(name="B", email="b@example.no", message="y")

    response = agent_client.get(f"{CHANGELIST}?{view.query}")

    assert [t.pk for t in response.context["cl"].result_list] == [open_.pk]
    assert (
        f'<a href="{CHANGELIST}?status__exact=open" aria-current="page">Åpne</a>' in response.text
    )


def test_an_agent_deletes_their_own_view(agent_client, agent):
    view = SavedView.objects.create(owner=agent, name="Mine", query="assignee=me")

    response = agent_client.post(delete_url(view))

    assert response.status_code == 303
    assert not SavedView.objects.exists()


def test_a_colleagues_shared_view_cannot_be_deleted_and_has_no_delete_button(
    agent_client, colleague
):
    view = SavedView.objects.create(owner=colleague, name="Delt", query="sla=soon", is_shared=True)

    page = agent_client.get(CHANGELIST)
    response = agent_client.post(delete_url(view))

    assert delete_url(view) not in page.text
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_deleting_needs_a_post(agent_client, agent):
    view = SavedView.objects.create(owner=agent, name="Mine", query="assignee=me")

    response = agent_client.get(delete_url(view))

    assert response.status_code == 405
    assert SavedView.objects.exists()


def test_a_departed_agents_shared_views_stay_with_the_team(agent_client, colleague):
    SavedView.objects.create(owner=colleague, name="Delt", query="sla=soon", is_shared=True)
    SavedView.objects.create(owner=colleague, name="Privat", query="sla=ok")

    colleague.delete()

    assert list(SavedView.objects.values_list("name", "owner")) == [
        ("Delt", None),
        ("Privat", None),
    ]
    assert tabs(agent_client.get(CHANGELIST)) == ["Alle saker", "Delt "]


def test_an_editor_cannot_save_a_view(editor_client):
    response = editor_client.post(SAVE, {"name": "Mine", "query": "assignee=me"})

    assert response.status_code == 403
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("count", [10, 1000])
def test_changelist_query_count_does_not_grow_with_views_or_tickets(
    agent_client, agent, colleague, django_assert_num_queries, count
):
    Ticket.objects.bulk_create(
        Ticket(name=f"K {n}", email=f"k{n}@example.no", message="x", reference=reference_new())
        for n in range(count)
    )
    SavedView.objects.bulk_create(
        SavedView(owner=owner, name=f"Visning {n}", query="sla=soon", is_shared=n % 2 == 0)
        for n in range(count // 10)
        for owner in [agent, colleague]
    )

    # Session, user, user and group permissions, staff for the assignee filter, count, one page,
    # the saved views.
    with django_assert_num_queries(8):
        response = agent_client.get(CHANGELIST, {"sla": "soon"})

    assert response.status_code == 200
