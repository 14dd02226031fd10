"""Saved replies and FAQ answers in the reply box (tickets.macros, the picker's endpoint in
tickets.desk, their status and priority set on save by TicketAdmin)."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tickets.macros import macro_placeholders_unknown, macro_render
from tickets.models import Message, SavedReply, Ticket, TicketEvent

NEW_NOTE = "messages-2-0"
ADD_REPLY = reverse("admin:tickets_savedreply_add")


@pytest.fixture
def make_ticket(make_ticket_row):
    def make(**overrides) -> Ticket:
        values = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Faktura?"}
        return make_ticket_row(**values | overrides)

    return make


@pytest.fixture
def agent(agent):
    agent.first_name, agent.last_name = "Ola", "Hansen"
    agent.save()
    return agent


def replies_url(ticket) -> str:
    return reverse("admin:tickets_ticket_replies", args=[ticket.pk])


def change_url(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def change_form_data(client, ticket, **fields) -> dict:
    """What a browser posts from the ticket page as rendered, Save clicked, `fields` changed."""
    page = client.get(change_url(ticket)).text
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = chosen[1] if chosen else ""
    return data | {"_save": "Lagre"} | fields


def reply_with(client, ticket, macro, *, kind="public", **fields):
    data = change_form_data(
        client,
        ticket,
        **{
            f"{NEW_NOTE}-kind": kind,
            f"{NEW_NOTE}-body": "Hei Kari, saken er løst.",
            f"{NEW_NOTE}-saved_reply": str(macro.pk),
        },
        **fields,
    )
    return client.post(change_url(ticket), data, follow=True)


def test_each_placeholder_is_replaced_by_the_tickets_and_the_agents_value(
    agent, make_ticket, settings
):
    ticket = make_ticket()
    body = (
        "Hei {{ kunde.fornavn }} ({{kunde.navn}}, {{ kunde.epost }}): sak {{ sak.referanse }}, "
        "{{ sak.lenke }}. Hilsen {{ agent.fornavn }} / {{ agent.navn }}"
    )

    text = macro_render(body, ticket=ticket, agent=agent)

    link = settings.SITE_URL + ticket.page_url()
    assert text == (
        f"Hei Kari (Kari Nordmann, kari@example.no): sak {ticket.reference}, {link}. "
        "Hilsen Ola / Ola Hansen"
    )


def test_customer_text_that_looks_like_a_placeholder_or_a_template_stays_text(agent, make_ticket):
    ticket = make_ticket(name="{{ sak.referanse }} {% debug %}")
    body = "Hei {{ kunde.navn }} {{ settings.SECRET_KEY }} {% now 'Y' %}"

    text = macro_render(body, ticket=ticket, agent=agent)

    assert text == "Hei {{ sak.referanse }} {% debug %} {{ settings.SECRET_KEY }} {% now 'Y' %}"


def test_unknown_placeholders_are_named_once_each():
    body = "{{ kunde.passord }} {{kunde}} {{ kunde.fornavn }} {{ kunde.passord }} {{ Sak.Id }}"

    assert macro_placeholders_unknown(body) == ["kunde.passord", "{{kunde}}", "{{ Sak.Id }}"]


def test_a_saved_reply_with_an_unknown_placeholder_is_refused_with_the_known_ones(agent_client):
    data = {"name": "Faktura", "body": "Hei {{ kunde.passord }}", "status": "", "priority": ""}

    response = agent_client.post(ADD_REPLY, data | {"_save": "Lagre"})

    assert response.status_code == 200
    assert "Ukjent plassholder: kunde.passord." in response.text
    assert "{{ kunde.fornavn }}" in response.text
    assert not SavedReply.objects.exists()


def test_an_agent_adds_a_saved_reply_in_the_admin(agent_client, agent):
    data = {"name": "Faktura", "body": "Hei {{ kunde.fornavn }}", "status": "resolved"}

    response = agent_client.post(ADD_REPLY, data | {"priority": "", "_save": "Lagre"})

    assert response.status_code == 302
    reply = SavedReply.objects.get()
    assert (reply.name, reply.status, reply.created_by) == ("Faktura", "resolved", agent)


def test_a_few_letters_find_saved_replies_and_faq_answers_rendered_for_the_ticket(
    agent_client, make_ticket, make_entry, settings
):
    ticket = make_ticket()
    SavedReply.objects.create(name="Faktura sendt på nytt", body="Hei {{ kunde.fornavn }}!")
    SavedReply.objects.create(name="Passord", body="Trykk på «Glemt passord».")
    entry = make_entry(question="Hvor finner jeg fakturaen?", answer="Under **Min side**.")

    results = agent_client.get(replies_url(ticket), {"q": "fak"}).json()["results"]

    assert [(r["kind"], r["name"]) for r in results] == [
        ("macro", "Faktura sendt på nytt"),
        ("faq", "Hvor finner jeg fakturaen?"),
    ]
    assert results[0]["text"] == "Hei Kari!"
    link = f"{settings.SITE_URL}/#{entry.anchor}"
    assert results[1]["text"] == f"Under **Min side**.\n\nLes mer: {link}"


def test_every_typed_word_must_be_in_the_name(agent_client, make_ticket):
    ticket = make_ticket()
    SavedReply.objects.create(name="Faktura sendt", body="a")
    SavedReply.objects.create(name="Faktura kreditert", body="b")

    results = agent_client.get(replies_url(ticket), {"q": "fak kred"}).json()["results"]

    assert [r["name"] for r in results] == ["Faktura kreditert"]


def test_hidden_archived_and_other_pages_faq_answers_are_not_offered(
    agent_client, make_ticket, make_entry, make_block, make_page
):
    ticket = make_ticket()
    make_entry(question="Faktura publisert")
    make_entry(question="Faktura skjult", is_published=False)
    make_entry(question="Faktura arkivert", is_archived=True)
    other_page = make_page(slug="en-annen-side")
    make_entry(block=make_block(page=other_page), question="Faktura på en annen side")

    results = agent_client.get(replies_url(ticket), {"q": "faktura"}).json()["results"]

    assert [r["name"] for r in results] == ["Faktura publisert"]


def test_an_editor_cannot_use_the_picker(editor_client, make_ticket):
    ticket = make_ticket()
    SavedReply.objects.create(name="Faktura", body="Hei {{ kunde.navn }}")

    response = editor_client.get(replies_url(ticket), {"q": "fak"})

    assert response.status_code == 403


def test_the_picker_needs_a_staff_login(client, make_ticket):
    ticket = make_ticket()

    response = client.get(replies_url(ticket), {"q": "fak"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("count", [2, 40])
def test_the_pickers_query_count_does_not_grow_with_saved_replies_or_answers(
    agent_client, make_ticket, make_entry, django_assert_num_queries, count
):
    ticket = make_ticket()
    SavedReply.objects.bulk_create(
        SavedReply(name=f"Faktura {n}", body="Hei {{ kunde.fornavn }}") for n in range(count)
    )
    for n in range(count):
        make_entry(question=f"Faktura {n}?")

    # Session, user, the ticket, user and group permissions, saved replies, FAQ answers.
    with django_assert_num_queries(7):
        response = agent_client.get(replies_url(ticket), {"q": "fak"})

    assert len(response.json()["results"]) == min(count, 8) + min(count, 4)


def test_the_ticket_page_offers_the_picker_above_the_reply_box(agent_client, make_ticket):
    ticket = make_ticket()

    page = agent_client.get(change_url(ticket)).text

    assert f'data-replies-url="{replies_url(ticket)}"' in page
    assert 'src="/static/tickets/macros.js"' in page
    assert f'name="{NEW_NOTE}-saved_reply"' in page


def test_saving_a_reply_from_a_saved_reply_sets_its_status_and_priority(
    agent_client, agent, make_ticket
):
    ticket = make_ticket(status=Ticket.Status.OPEN)
    macro = SavedReply.objects.create(name="Løst", body="x", status="resolved", priority="high")

    response = reply_with(agent_client, ticket, macro)

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.RESOLVED, Ticket.Priority.HIGH)
    assert Message.objects.get(kind=Message.Kind.PUBLIC).body == "Hei Kari, saken er løst."
    changes = TicketEvent.objects.filter(actor=agent).values_list("field", "new_value")
    assert list(changes.order_by("pk")) == [
        ("status", "waiting"),
        ("status", "resolved"),
        ("priority", "high"),
    ]


def test_a_status_the_workflow_refuses_keeps_the_reply_and_says_so(agent_client, make_ticket):
    ticket = make_ticket(status=Ticket.Status.OPEN)
    macro = SavedReply.objects.create(name="Ny igjen", body="x", status="new")

    response = reply_with(agent_client, ticket, macro, kind="internal")

    assert "Svaret er lagret, men ikke statusen «Ny igjen» setter" in response.text
    assert Message.objects.filter(kind=Message.Kind.INTERNAL).exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_the_status_the_agent_chose_on_the_page_wins_over_the_saved_reply(
    agent_client, make_ticket
):
    ticket = make_ticket(status=Ticket.Status.OPEN)
    macro = SavedReply.objects.create(name="Løst", body="x", status="resolved", priority="low")

    reply_with(agent_client, ticket, macro, kind="internal", status="closed")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Ticket.Status.CLOSED, Ticket.Priority.LOW)


def test_ticket_page_query_count_is_kept_with_the_picker(
    agent_client, make_ticket, django_assert_num_queries
):
    ticket = make_ticket()
    SavedReply.objects.create(name="Faktura", body="x")
    ContentType.objects.clear_cache()

    # Session, user, the ticket, permissions (user, group), the thread, its attachments, the
    # customer's other tickets, history, emails, content type, assignee choices, ratings, the
    # copy state, held replies, merges to undo, merged from: the saved replies are fetched by
    # the picker, not with the page.
    with django_assert_num_queries(17):
        response = agent_client.get(change_url(ticket))

    assert response.status_code == 200
