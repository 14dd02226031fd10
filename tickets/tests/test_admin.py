import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from tickets.attachments import attachment_check, attachments_store
from tickets.emails import email_message
from tickets.models import Attachment, Message, OutboundEmail, Ticket, TicketEvent
from tickets.references import reference_new
from tickets.services import ticket_change, ticket_reply, tickets_erase
from tickets.tests.attachment_files import EXE, pdf, png, upload

CHANGELIST = reverse("admin:tickets_ticket_changelist")
# The thread and the new-note inline share Message's prefix "messages"; the admin numbers the
# second one.
NEW_NOTE = "messages-2-0"
SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def make_ticket(make_ticket_row):
    """A ticket row with any field set (pk, status, assignee) and no emails queued.

    Overrides conftest's make_ticket, which goes through ticket_create and so cannot set them.
    """

    def make(**overrides) -> Ticket:
        values = {
            "name": "Kari Nordmann",
            "email": "kari@example.no",
            "message": "Fakturaen mangler",
        }
        return make_ticket_row(**values | overrides)

    return make


def change_url(ticket):
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def change_form_data(client, ticket, **fields):
    """What a browser posts from the ticket page as rendered (hidden inputs, chosen options)
    when Save is clicked, with `fields` changed: the inline prefixes and management forms come
    from the page itself."""
    page = client.get(change_url(ticket)).text
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = chosen[1] if chosen else ""
    # The clicked button's name: without it the page's action bar would take the post.
    return data | {"_save": "Lagre"} | fields


def listed(response):
    return [ticket.pk for ticket in response.context["cl"].result_list]


def action(client, name, tickets, **fields):
    return client.post(
        CHANGELIST, {"action": name, "_selected_action": [t.pk for t in tickets], **fields}
    )


def test_agent_group_holds_exactly_the_ticket_work_permissions(db):
    group = Group.objects.get(name="Kundeservice")

    codenames = set(group.permissions.values_list("codename", flat=True))

    assert codenames == {
        "view_ticket",
        "change_ticket",
        "view_message",
        "add_message",
        "view_ticketevent",
        "view_outboundemail",
        "view_suggestionimpression",
        # A ticket for a phone call or a walk-in, and the team's saved replies (migration 0014).
        "add_ticket",
        "view_savedreply",
        "add_savedreply",
        "change_savedreply",
        "delete_savedreply",
        # The live chat: its rows, and its opening hours and promise (migration 0016).
        "view_chat",
        "view_chatsettings",
        "change_chatsettings",
    }
    assert not group.permissions.exclude(content_type__app_label="tickets").exists()


def test_agent_sees_the_changelist_and_a_ticket_page(agent_client, make_ticket):
    ticket = make_ticket()

    changelist = agent_client.get(CHANGELIST)
    change = agent_client.get(change_url(ticket))

    assert changelist.status_code == change.status_code == 200
    assert ticket.reference in changelist.text
    assert "Fakturaen mangler" in change.text


def test_agent_cannot_open_the_faq_admin(agent_client, make_entry):
    entry = make_entry()

    changelist = agent_client.get(reverse("admin:faq_faqentry_changelist"))
    change = agent_client.get(reverse("admin:faq_faqentry_change", args=[entry.pk]))

    assert changelist.status_code == change.status_code == 403


def test_editor_cannot_open_tickets(editor_client, make_ticket):
    ticket = make_ticket()

    changelist = editor_client.get(CHANGELIST)
    change = editor_client.get(change_url(ticket))

    assert changelist.status_code == change.status_code == 403


def test_editor_admin_index_has_no_ticket_app(editor_client):
    response = editor_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert reverse("admin:app_list", args=["faq"]) in response.text
    assert reverse("admin:app_list", args=["tickets"]) not in response.text
    assert CHANGELIST not in response.text


def test_changelist_shows_reference_subject_customer_status_priority_assignee_and_age(
    agent_client, agent, make_ticket
):
    make_ticket(
        pk=42,
        message="Pakken kom aldri fram\n\netter tre uker",
        priority=Ticket.Priority.HIGH,
        assignee=agent,
    )

    response = agent_client.get(CHANGELIST)

    row = re.search(r'<tr><td class="action-checkbox">.*?</tr>', response.text, re.S)[0]
    assert Ticket.objects.get(pk=42).reference in row
    assert '<td class="field-subject"><a href="' in row
    assert "Pakken kom aldri fram etter tre uker" in row
    assert '<td class="field-customer">Kari Nordmann &lt;kari@example.no&gt;</td>' in row
    assert f'<td class="field-status">{Ticket.Status.NEW.label}</td>' in row
    assert f'<td class="field-priority">{Ticket.Priority.HIGH.label}</td>' in row
    assert '<td class="field-assignee nowrap">agent</td>' in row
    assert '<td class="field-age">0\xa0minutter</td>' in row


def test_subject_is_the_start_of_a_long_message(agent_client, make_ticket):
    make_ticket(message="Hei! " + "Jeg har et langt spørsmål om fakturaen. " * 10)

    response = agent_client.get(CHANGELIST)

    assert "Hei! Jeg har et langt spørsmål om fakturaen. Jeg har et lan…" in response.text


def test_status_filter_lists_only_that_status(agent_client, make_ticket):
    make_ticket()
    waiting = make_ticket(status=Ticket.Status.WAITING)

    response = agent_client.get(CHANGELIST, {"status__exact": "waiting"})

    assert listed(response) == [waiting.pk]


def test_priority_filter_lists_only_that_priority(agent_client, make_ticket):
    make_ticket()
    urgent = make_ticket(priority=Ticket.Priority.URGENT)

    response = agent_client.get(CHANGELIST, {"priority__exact": "urgent"})

    assert listed(response) == [urgent.pk]


def test_unassigned_filter_lists_tickets_without_an_assignee(agent_client, agent, make_ticket):
    make_ticket(assignee=agent)
    unassigned = make_ticket()

    response = agent_client.get(CHANGELIST, {"assignee": "none"})

    assert listed(response) == [unassigned.pk]
    assert '<a href="?assignee=none">' in response.text


def test_mine_filter_lists_the_agents_own_tickets(
    agent_client, agent, django_user_model, make_ticket
):
    colleague = django_user_model.objects.create_user("kollega", is_staff=True)
    make_ticket()
    make_ticket(assignee=colleague)
    mine = make_ticket(assignee=agent)

    response = agent_client.get(CHANGELIST, {"assignee": "me"})

    assert listed(response) == [mine.pk]


def test_search_by_reference_finds_exactly_that_ticket(agent_client, make_ticket):
    wanted = make_ticket(pk=42)
    make_ticket(pk=420)
    make_ticket(pk=421, message="Gjelder SEK-000042")

    response = agent_client.get(CHANGELIST, {"q": "SEK-000042"})

    assert listed(response) == [wanted.pk]


@pytest.mark.parametrize("term", ["ola@example.no", "Ola Hansen", "kvitteringen"])
def test_search_finds_email_name_and_message_text(agent_client, make_ticket, term):
    make_ticket()
    wanted = make_ticket(
        name="Ola Hansen", email="ola@example.no", message="Jeg finner ikke kvitteringen"
    )

    response = agent_client.get(CHANGELIST, {"q": term})

    assert listed(response) == [wanted.pk]


def test_assign_to_me_action_assigns_and_records_the_change(agent_client, agent, make_ticket):
    ticket = make_ticket()

    action(agent_client, "assign_to_me", [ticket])

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Ticket.Status.OPEN)
    events = TicketEvent.objects.filter(ticket=ticket)
    assert {(e.actor, e.field, e.old_value, e.new_value) for e in events} == {
        (agent, "assignee", "", "agent"),
        (agent, "status", "new", "open"),
    }


def test_set_status_action_changes_status_and_records_the_change(agent_client, agent, make_ticket):
    tickets = [make_ticket(), make_ticket()]

    action(agent_client, "set_status", tickets, status="open")

    assert set(Ticket.objects.values_list("status", flat=True)) == {"open"}
    assert set(
        TicketEvent.objects.values_list("ticket", "actor", "field", "old_value", "new_value")
    ) == {(t.pk, agent.pk, "status", "new", "open") for t in tickets}


def test_set_priority_action_changes_priority_and_records_the_change(
    agent_client, agent, make_ticket
):
    ticket = make_ticket()

    action(agent_client, "set_priority", [ticket], priority="urgent")

    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.actor, event.field, event.old_value, event.new_value) == (
        agent,
        "priority",
        "normal",
        "urgent",
    )


def test_set_status_action_without_a_status_changes_nothing(agent_client, make_ticket):
    ticket = make_ticket()

    action(agent_client, "set_status", [ticket], status="")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert not TicketEvent.objects.exists()


def test_set_status_action_refuses_an_unknown_status(agent_client, make_ticket):
    ticket = make_ticket()

    action(agent_client, "set_status", [ticket], status="deleted")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert not TicketEvent.objects.exists()


def test_changes_from_actions_are_shown_on_the_ticket_page(agent_client, make_ticket):
    ticket = make_ticket()
    action(agent_client, "assign_to_me", [ticket])
    action(agent_client, "set_status", [ticket], status="open")

    response = agent_client.get(change_url(ticket))

    assert "assignee:  → agent" in response.text
    assert "status: new → open" in response.text
    assert '<td class="field-actor">' in response.text


@pytest.mark.parametrize("status", ["closed", "resolved"])
def test_closing_or_resolving_in_bulk_sets_resolved_at(agent_client, make_ticket, status):
    ticket = make_ticket()

    action(agent_client, "set_status", [ticket], status=status)

    ticket.refresh_from_db()
    assert ticket.resolved_at is not None


def test_reopening_clears_resolved_at(agent_client, make_ticket):
    ticket = make_ticket()
    action(agent_client, "set_status", [ticket], status="closed")

    action(agent_client, "set_status", [ticket], status="open")

    ticket.refresh_from_db()
    assert ticket.resolved_at is None


def test_change_form_records_status_priority_and_assignee_changes(agent_client, agent, make_ticket):
    ticket = make_ticket()
    data = change_form_data(
        agent_client, ticket, status="waiting", priority="high", assignee=agent.pk
    )

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("waiting", "high", agent)
    assert set(TicketEvent.objects.values_list("actor", "field", "old_value", "new_value")) == {
        (agent.pk, "status", "new", "waiting"),
        (agent.pk, "priority", "normal", "high"),
        (agent.pk, "assignee", "", "agent"),
    }


def test_change_form_without_changes_records_nothing(agent_client, make_ticket):
    ticket = make_ticket()

    response = agent_client.post(change_url(ticket), change_form_data(agent_client, ticket))

    assert response.status_code == 302
    assert not TicketEvent.objects.exists()


def test_resolving_on_the_change_form_sets_resolved_at(agent_client, make_ticket):
    ticket = make_ticket()

    agent_client.post(change_url(ticket), change_form_data(agent_client, ticket, status="resolved"))

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.resolved_at is not None


def test_customer_message_is_shown_as_text(agent_client, make_ticket):
    ticket = make_ticket(name=f"Kari {SCRIPT}", message=f"Hei {SCRIPT}\nog {IMAGE}")

    changelist = agent_client.get(CHANGELIST)
    change = agent_client.get(change_url(ticket))

    for page in (changelist.text, change.text):
        assert SCRIPT not in page
        assert IMAGE not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "og &lt;img src=x onerror=alert(1)&gt;" in change.text


def test_public_reply_creates_note_email_and_first_response(agent_client, agent, make_ticket):
    ticket = make_ticket(pk=42)
    data = change_form_data(
        agent_client,
        ticket,
        **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "  Fakturaen er sendt på nytt.  "},
    )

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 302
    note = Message.objects.exclude(kind=Message.Kind.CUSTOMER).get()
    assert (note.ticket, note.author, note.kind, note.body) == (
        ticket,
        agent,
        Message.Kind.PUBLIC,
        "Fakturaen er sendt på nytt.",
    )
    email = OutboundEmail.objects.get()
    assert (email.kind, email.to) == (OutboundEmail.Kind.REPLY, "kari@example.no")
    assert ticket.reference in email.subject
    assert email.note == note
    assert "Fakturaen er sendt på nytt." in email_message(email).body
    ticket.refresh_from_db()
    assert ticket.first_response_at == note.created_at


def test_second_reply_keeps_the_first_response_time(agent_client, make_ticket):
    ticket = make_ticket()
    first = ticket_reply(ticket=ticket, author=None, body="Første svar", is_public=True)
    data = change_form_data(
        agent_client, ticket, **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "Andre svar"}
    )

    agent_client.post(change_url(ticket), data)

    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.REPLY).count() == 2


def test_internal_note_sends_nothing_and_is_no_first_response(agent_client, make_ticket):
    ticket = make_ticket()
    data = change_form_data(
        agent_client,
        ticket,
        **{f"{NEW_NOTE}-kind": "internal", f"{NEW_NOTE}-body": "Sjekk med regnskap"},
    )

    agent_client.post(change_url(ticket), data)

    assert Message.objects.exclude(kind=Message.Kind.CUSTOMER).get().kind == Message.Kind.INTERNAL
    assert not OutboundEmail.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_existing_notes_cannot_be_edited(agent_client, make_ticket):
    ticket = make_ticket()
    note = ticket_reply(ticket=ticket, author=None, body="Opprinnelig", is_public=False)
    data = change_form_data(
        agent_client,
        ticket,
        **{"messages-0-id": note.pk, "messages-0-kind": "public", "messages-0-body": "Endret"},
    )

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.kind, note.body) == (Message.Kind.INTERNAL, "Opprinnelig")
    assert Message.objects.exclude(kind=Message.Kind.CUSTOMER).count() == 1
    assert 'name="messages-0-body"' not in agent_client.get(change_url(ticket)).text


def customer_with_history(make_ticket, *, email, name):
    """Two tickets of one customer, each with a reply (a note and an email)."""
    tickets = [
        make_ticket(email=email, name=name, message=f"Melding {n} fra {name}") for n in (1, 2)
    ]
    for ticket in tickets:
        ticket_reply(ticket=ticket, author=None, body=f"Svar til {name}", is_public=True)
    return tickets


def test_export_holds_every_ticket_of_the_selected_addresses_and_no_others(
    agent_client, make_ticket
):
    selected, other_of_same = customer_with_history(
        make_ticket, email="kari@example.no", name="Kari"
    )
    customer_with_history(make_ticket, email="ola@example.no", name="Ola")

    response = action(agent_client, "export_personal_data", [selected])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = response.json()
    assert data["email_addresses"] == ["kari@example.no"]
    assert [t["reference"] for t in data["tickets"]] == [
        selected.reference,
        other_of_same.reference,
    ]
    assert data["tickets"][0]["notes"][0]["text"] == "Svar til Kari"
    assert data["tickets"][0]["emails"][0]["to"] == "kari@example.no"
    assert "ola" not in response.content.decode().lower()


def test_export_is_logged_without_personal_data(agent_client, agent, make_ticket):
    kari = customer_with_history(make_ticket, email="kari@example.no", name="Kari")
    ola = customer_with_history(make_ticket, email="ola@example.no", name="Ola")

    action(agent_client, "export_personal_data", kari[:1])

    # The replies of customer_with_history left the tickets waiting: those events are not these.
    events = TicketEvent.objects.filter(field="privacy")
    assert {e.ticket_id for e in events} == {t.pk for t in kari}
    assert {(e.actor, e.field, e.old_value, e.new_value) for e in events} == {
        (agent, "privacy", "", "exported")
    }
    assert not events.filter(ticket__in=ola).exists()


def test_erase_anonymises_every_ticket_of_the_selected_addresses(admin_client, make_ticket):
    selected, other_of_same = customer_with_history(
        make_ticket, email="kari@example.no", name="Kari"
    )

    response = action(admin_client, "erase", [selected])

    assert response.status_code == 302
    for ticket in (selected, other_of_same):
        ticket.refresh_from_db()
        assert (ticket.name, ticket.email, ticket.message) == ("", "", "")
        assert ticket.anonymised_at is not None
        assert list(
            ticket.messages.exclude(kind=Message.Kind.CUSTOMER).values_list("body", flat=True)
        ) == [""]
        assert not ticket.emails.exists()


def test_erase_is_logged(admin_client, admin_user, make_ticket):
    kari = customer_with_history(make_ticket, email="kari@example.no", name="Kari")

    action(admin_client, "erase", kari[:1])

    # The replies of customer_with_history left the tickets waiting: those events are not these.
    events = TicketEvent.objects.filter(field="privacy")
    assert {e.ticket_id for e in events} == {t.pk for t in kari}
    assert {(e.actor, e.field, e.old_value, e.new_value) for e in events} == {
        (admin_user, "privacy", "", "erased")
    }


def test_erase_leaves_other_customers_untouched(admin_client, make_ticket):
    kari = customer_with_history(make_ticket, email="kari@example.no", name="Kari")
    ola = customer_with_history(make_ticket, email="ola@example.no", name="Ola")

    action(admin_client, "erase", kari[:1])

    for ticket in ola:
        ticket.refresh_from_db()
        assert (ticket.name, ticket.email) == ("Ola", "ola@example.no")
        assert ticket.message.startswith("Melding")
        assert ticket.anonymised_at is None
        assert list(
            ticket.messages.exclude(kind=Message.Kind.CUSTOMER).values_list("body", flat=True)
        ) == ["Svar til Ola"]
        assert ticket.emails.count() == 1
        assert not ticket.events.filter(field="privacy").exists()


def test_agent_is_not_offered_the_erase_action(agent_client, make_ticket):
    ticket = make_ticket()

    changelist = agent_client.get(CHANGELIST)
    action(agent_client, "erase", [ticket])

    assert '<option value="export_personal_data">' in changelist.text
    assert '<option value="erase">' not in changelist.text
    ticket.refresh_from_db()
    assert ticket.anonymised_at is None
    assert ticket.email == "kari@example.no"


@pytest.mark.parametrize("tickets", [10, 1000])
@pytest.mark.parametrize(
    "query",
    [{}, {"assignee": "none", "status": "new"}, {"q": "SEK-000005"}],
    ids=["default", "unassigned-new", "reference"],
)
def test_changelist_query_count_does_not_grow_with_tickets(
    agent_client, agent, django_assert_num_queries, tickets, query
):
    Ticket.objects.bulk_create(
        Ticket(
            pk=n,
            name=f"Kunde {n}",
            email=f"kunde{n}@example.no",
            message=f"Melding {n}",
            assignee=None if n % 3 else agent,
            reference=reference_new(),
        )
        for n in range(1, tickets + 1)
    )

    # Session, user, user and group permissions, staff for the assignee filter, count, one page,
    # the saved views' tabs.
    with django_assert_num_queries(8):
        response = agent_client.get(CHANGELIST, query)

    assert response.status_code == 200
    assert listed(response)


def test_tickets_can_be_erased_but_never_deleted_outright(admin_client, make_ticket):
    make_ticket()

    response = admin_client.get(CHANGELIST)

    assert 'value="erase"' in response.text
    assert 'value="delete_selected"' not in response.text


def test_history_names_the_changed_field_in_norwegian(agent_client, agent, make_ticket):
    ticket = make_ticket()
    ticket_change(ticket=ticket, actor=agent, priority=Ticket.Priority.HIGH)

    response = agent_client.get(change_url(ticket))

    assert re.search(r'<td class="field-what">\s*<p>prioritet</p>', response.text)


def test_anonymised_ticket_page_is_read_only_without_a_note_form(agent_client, make_ticket):
    ticket = make_ticket()
    tickets_erase(emails=[ticket.email], actor=None)

    response = agent_client.get(change_url(ticket))

    assert response.status_code == 200
    assert f'name="{NEW_NOTE}-body"' not in response.text
    assert 'name="status"' not in response.text
    assert 'name="_save"' not in response.text


def test_note_posted_to_an_anonymised_ticket_is_not_stored(agent_client, make_ticket):
    ticket = make_ticket()
    data = change_form_data(
        agent_client,
        ticket,
        **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "Hei Kari, ring 99 99 99 99"},
    )
    tickets_erase(emails=[ticket.email], actor=None)

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 403
    assert not Message.objects.exclude(kind=Message.Kind.CUSTOMER).exists()
    assert not OutboundEmail.objects.exists()


def test_email_failed_filter_lists_tickets_with_an_email_given_up_on(agent_client, make_ticket):
    failed, sent = make_ticket(email="ola@example.no"), make_ticket()
    for ticket, state in [(failed, "failed_at"), (sent, "sent_at")]:
        for _ in range(2):
            OutboundEmail.objects.create(ticket=ticket, to=ticket.email, **{state: timezone.now()})

    response = agent_client.get(CHANGELIST, {"email": "failed"})

    assert listed(response) == [failed.pk]
    assert "E-post feilet" in agent_client.get(CHANGELIST).text


def test_ticket_page_shows_when_an_email_failed(agent_client, make_ticket):
    ticket = make_ticket()
    OutboundEmail.objects.create(ticket=ticket, to=ticket.email, failed_at=timezone.now())

    response = agent_client.get(change_url(ticket))

    assert re.search(r'<td class="field-failed_at">\s*<p>\w', response.text)


def test_search_by_a_reference_read_over_the_phone_finds_that_ticket(agent_client, make_ticket):
    wanted, _ = make_ticket(), make_ticket()
    heard = wanted.reference.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    response = agent_client.get(CHANGELIST, {"q": heard})

    assert listed(response) == [wanted.pk]


def attach(message, *files) -> None:
    attachments_store(
        message=message, files=[attachment_check(name=name, content=c) for name, c in files]
    )


def test_thread_shows_each_messages_attachments_with_thumbnail_and_link(agent_client, make_ticket):
    ticket = make_ticket()
    attach(ticket.messages.get(), ("skjerm.png", png()), ("faktura.pdf", pdf()))
    image, document = Attachment.objects.order_by("pk")

    page = agent_client.get(change_url(ticket)).text

    download = reverse("tickets:attachment", args=[image.pk])
    thumbnail = reverse("tickets:attachment_thumbnail", args=[image.pk])
    assert f'<img src="{thumbnail}" alt="skjerm.png"' in page
    assert f'<a href="{download}" download>skjerm.png</a>' in page
    assert f'<a href="{reverse("tickets:attachment", args=[document.pk])}" download>' in page
    assert "(application/pdf, " in page
    assert reverse("tickets:attachment_thumbnail", args=[document.pk]) not in page


def test_agent_gets_an_images_thumbnail_and_an_editor_does_not(
    agent_client, editor_client, make_ticket
):
    ticket = make_ticket()
    attach(ticket.messages.get(), ("skjerm.png", png()))
    url = reverse("tickets:attachment_thumbnail", args=[Attachment.objects.get().pk])

    shown, hidden = agent_client.get(url), editor_client.get(url)

    assert (shown.status_code, shown["Content-Type"], hidden.status_code) == (
        200,
        "image/webp",
        404,
    )
    assert shown["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("messages", [1, 8])
def test_ticket_page_query_count_does_not_grow_with_attachments(
    agent_client, make_ticket, django_assert_num_queries, messages
):
    ticket = make_ticket()
    attach(ticket.messages.get(), ("a.png", png()), ("b.pdf", pdf()))
    for n in range(messages - 1):
        note = ticket_reply(ticket=ticket, author=None, body=f"Notat {n}", is_public=False)
        attach(note, ("c.png", png()))

    # The admin's content type (cached after the first page, so cleared here for a fixed count).
    ContentType.objects.clear_cache()

    # Session, user, the ticket, permissions (user, group), the thread with its authors, all its
    # attachments, the customer's other tickets, the history, the emails, the content type, the
    # staff to assign to, the customer's ratings; the page's copy state (newest message), the
    # agent's held replies, merges to undo, merged from.
    with django_assert_num_queries(17):
        response = agent_client.get(change_url(ticket))

    assert response.status_code == 200


def test_reply_with_files_stores_them_on_the_reply(agent_client, make_ticket):
    ticket = make_ticket()
    data = change_form_data(
        agent_client,
        ticket,
        **{
            f"{NEW_NOTE}-kind": "public",
            f"{NEW_NOTE}-body": "Her er kvitteringen.",
            f"{NEW_NOTE}-attachments": [upload("kvittering.pdf", pdf(), "application/pdf")],
        },
    )

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 302
    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    assert [a.filename for a in note.attachments.all()] == ["kvittering.pdf"]


def test_reply_with_a_refused_file_is_not_sent_and_says_why(agent_client, make_ticket):
    ticket = make_ticket()
    data = change_form_data(
        agent_client,
        ticket,
        **{
            f"{NEW_NOTE}-kind": "public",
            f"{NEW_NOTE}-body": "Her er programmet.",
            f"{NEW_NOTE}-attachments": [upload("verktøy.pdf", EXE)],
        },
    )

    response = agent_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert "«verktøy.pdf» er ikke en filtype vi tar imot." in response.text
    assert not Message.objects.filter(kind=Message.Kind.PUBLIC).exists()
    assert not OutboundEmail.objects.exists()


def test_ticket_page_form_sends_files(agent_client, make_ticket):
    page = agent_client.get(change_url(make_ticket())).text

    assert 'enctype="multipart/form-data"' in page
    assert f'name="{NEW_NOTE}-attachments"' in page


def test_ticket_page_shows_the_customers_page_link_to_copy(agent_client, make_ticket, settings):
    ticket = make_ticket()

    response = agent_client.get(change_url(ticket))

    link = settings.SITE_URL + ticket.page_url()
    assert "<code data-customer-page-link" in response.text
    assert f">{link}</code>" in response.text


def test_anonymised_ticket_shows_no_customer_page_link(admin_client, make_ticket):
    ticket = make_ticket()
    tickets_erase(emails=[ticket.email], actor=None)

    response = admin_client.get(change_url(ticket))

    assert "data-customer-page-link" not in response.text
    assert "/sak/" not in response.text


def test_new_page_link_from_the_ticket_page_stops_the_old_one(agent_client, make_ticket, client):
    ticket = make_ticket()
    old_path = ticket.page_url()

    response = agent_client.post(
        change_url(ticket),
        {"CHANGE_FORM-action": "page_link_renew", "_selected_action": [ticket.pk]},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.page_url() != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(ticket.page_url()).status_code == 200
    assert ticket.events.get().field == "page_link"


def test_new_page_links_for_tickets_chosen_in_the_changelist(agent_client, make_ticket):
    tickets = [make_ticket(), make_ticket(email="ola@example.no")]
    keys = [t.access_key for t in tickets]

    response = action(agent_client, "page_link_renew", tickets)

    assert response.status_code == 302
    renewed = Ticket.objects.filter(pk__in=[t.pk for t in tickets]).exclude(access_key__in=keys)
    assert renewed.count() == 2
