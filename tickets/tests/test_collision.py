import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tickets.models import Message, Ticket
from tickets.services import ticket_change, ticket_reply
from tickets.tests.test_admin import NEW_NOTE, change_form_data, change_url


@pytest.fixture
def colleague(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        "ola", password="x", is_staff=True, first_name="Ola", last_name="Nordmann"
    )
    user.groups.add(Group.objects.get(name="Kundeservice"))
    return user


@pytest.fixture
def colleague_client(colleague):
    client = Client()
    client.force_login(colleague)
    return client


def presence_url(ticket):
    return reverse("admin:tickets_ticket_presence", args=[ticket.pk])


def errors(response) -> list[str]:
    return list(response.context["adminform"].form.non_field_errors())


def test_presence_shows_the_other_agent_and_that_they_are_typing(
    agent_client, colleague_client, make_ticket_row
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    alone = agent_client.post(presence_url(ticket)).json()
    colleague_client.post(presence_url(ticket), {"typing": "1"})
    together = agent_client.post(presence_url(ticket)).json()
    seen_by_colleague = colleague_client.post(presence_url(ticket)).json()

    assert alone == {"others": []}
    assert together == {"others": [{"name": "Ola Nordmann", "typing": True}]}
    assert seen_by_colleague == {"others": [{"name": "agent", "typing": False}]}


def test_an_agent_who_leaves_is_gone_from_presence(agent_client, colleague_client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    colleague_client.post(presence_url(ticket))

    colleague_client.post(presence_url(ticket), {"leave": "1"})

    assert agent_client.post(presence_url(ticket)).json() == {"others": []}


def test_presence_is_for_agents_only(client, editor_client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    anonymous = client.post(presence_url(ticket))
    editor = editor_client.post(presence_url(ticket))

    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous.url
    assert editor.status_code == 403


def test_presence_of_a_ticket_the_agent_cannot_open_is_refused(
    agent_client, colleague, make_ticket_row
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    colleague.groups.clear()
    colleague.user_permissions.set(Permission.objects.filter(codename="view_ticket"))
    viewer = Client()
    viewer.force_login(colleague)

    missing = agent_client.post(reverse("admin:tickets_ticket_presence", args=[ticket.pk + 1]))
    view_only = viewer.post(presence_url(ticket))

    assert missing.status_code == 404
    assert view_only.status_code == 403


@pytest.mark.parametrize("agents", [1, 6])
def test_presence_query_count_is_constant(
    agent_client, make_ticket_row, django_user_model, django_assert_num_queries, agents
):
    from django.contrib.auth.models import Group

    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    for n in range(agents):
        other = django_user_model.objects.create_user(f"a{n}", password="x", is_staff=True)
        other.groups.add(Group.objects.get(name="Kundeservice"))
        client = Client()
        client.force_login(other)
        client.post(presence_url(ticket))

    # Session, user, the ticket, the user's and the group's permissions; the rest is in the
    # cache.
    with django_assert_num_queries(5):
        response = agent_client.post(presence_url(ticket))

    assert len(response.json()["others"]) == agents


def test_save_on_a_copy_changed_since_is_refused_with_what_changed_and_keeps_the_text(
    agent_client, colleague, make_ticket_row
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(
        agent_client,
        ticket,
        **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "Mitt <b>svar</b>"},
    )
    ticket_change(ticket=ticket, actor=colleague, status=Ticket.Status.RESOLVED)
    ticket_reply(ticket=ticket, author=colleague, body="Jeg ringte kunden.", is_public=False)

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert errors(response) == [
        "En kollega har endret saken siden du åpnet den; ingenting ble lagret:",
        "Status: Ny → Løst",
        "Ny melding (internt notat) fra Ola Nordmann: «Jeg ringte kunden.»",
        "Teksten din står fortsatt i skjemaet. Se over endringene og lagre på nytt.",
    ]
    assert not Message.objects.filter(body="Mitt <b>svar</b>").exists()
    assert "Mitt &lt;b&gt;svar&lt;/b&gt;</textarea>" in response.text
    # The form shown again is the colleague's status, not the stale one.
    assert re.search(r'<option value="resolved" selected>', response.text)


def test_saving_again_after_the_refusal_goes_through_and_keeps_the_colleagues_change(
    agent_client, colleague, make_ticket_row
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(agent_client, ticket, priority="high")
    ticket_change(ticket=ticket, actor=colleague, status=Ticket.Status.RESOLVED)
    refused = agent_client.post(change_url(ticket), data)
    again = dict(data, opened=refused.context["adminform"].form.data["opened"])
    again["status"] = refused.context["adminform"].form.data["status"]

    response = agent_client.post(change_url(ticket), again)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.RESOLVED, "high")


def test_a_copy_nobody_changed_saves(agent_client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(agent_client, ticket, priority="urgent")

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"


def test_a_status_changed_between_load_and_save_is_refused_not_a_server_error(
    agent_client, colleague, make_ticket_row
):
    # A form posted without the page's copy state (an older page): the transition is checked
    # against the ticket as it is at the save.
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(agent_client, ticket, status="waiting")
    del data["opened"]
    ticket_change(ticket=ticket, actor=colleague, status=Ticket.Status.RESOLVED)

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "En sak kan ikke gå fra «Løst» til «Venter på kunde»."
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED
