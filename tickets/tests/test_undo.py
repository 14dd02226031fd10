from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from tickets.daily import local_day, ticket_days_update
from tickets.models import Message, OutboundEmail, Rating, Ticket, TicketDay, TicketEvent
from tickets.tests.test_admin import NEW_NOTE, change_form_data, change_url

# The worker claims and sends emails in transactions of its own (see worker_run).
pytestmark = pytest.mark.django_db(transaction=True)

AGENT_PERMISSIONS = ["view_ticket", "change_ticket", "view_message", "add_message"]
SNAPSHOT = [
    "status",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_response_due",
    "resolution_due",
    "sla_paused_at",
    "sla_paused_seconds",
]


def _agent(django_user_model, username):
    user = django_user_model.objects.create_user(username, f"{username}@example.no", "x")
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tickets", codename__in=AGENT_PERMISSIONS)
    )
    return user


@pytest.fixture
def desk(client, django_user_model):
    """A logged-in agent's client (transactional tests lose the migration's group)."""
    client.force_login(_agent(django_user_model, "kari.agent"))
    return client


def reply_post(client, ticket, body="Fakturaen er sendt på nytt.", **fields):
    data = change_form_data(
        client, ticket, **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": body}, **fields
    )
    data["_continue"] = data.pop("_save")
    return client.post(change_url(ticket), data)


def snapshot(ticket) -> dict:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {field: getattr(ticket, field) for field in SNAPSHOT}


def window_passes() -> None:
    """Move the held reply's window and its email's due time to now, as if the 30 seconds had
    passed."""
    now = timezone.now()
    OutboundEmail.objects.exclude(send_after=None).update(send_after=now, due_at=now)
    Message.objects.exclude(held_until=None).update(held_until=now)


def undo_url(ticket, message):
    return reverse("admin:tickets_ticket_reply_undo", args=[ticket.pk, message.pk])


def test_desk_reply_waits_in_the_outbox_for_the_undo_window(desk, make_ticket_row, settings):
    settings.REPLY_UNDO_SECONDS = 30
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    before = timezone.now()

    reply_post(desk, ticket)

    email = OutboundEmail.objects.get()
    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    assert email.note == note
    window = timedelta(seconds=30)
    assert before + window <= email.send_after <= timezone.now() + window
    assert note.held_until == email.send_after
    # The worker's queue is the outbox: the email is not due before the window ends.
    assert email.due_at == email.send_after


def test_worker_sends_nothing_before_the_window_ends(
    desk, make_ticket_row, smtp_server, worker_run
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket)
    # Even an email that became due early (its due time moved, a clock apart) is left held,
    # due again when the window ends.
    OutboundEmail.objects.update(due_at=timezone.now())

    worker_run()

    assert smtp_server.messages == []
    email = OutboundEmail.objects.get()
    assert email.sent_at is None
    assert (email.due_at, email.claimed_at) == (email.send_after, None)


def test_reply_is_sent_by_the_worker_once_the_window_is_over(
    desk, make_ticket_row, smtp_server, worker_run
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket, body="Svaret vårt")
    window_passes()

    worker_run()

    assert [m["To"] for m in smtp_server.messages] == ["kari@example.no"]
    assert "Svaret vårt" in smtp_server.messages[0].get_body(["plain"]).get_content()
    email = OutboundEmail.objects.get()
    assert (email.send_after, email.sent_at is not None) == (None, True)


def test_undo_within_the_window_removes_the_reply_and_nothing_is_sent(
    desk, make_ticket_row, smtp_server, worker_run
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    opened = snapshot(ticket)
    reply_post(desk, ticket, body="Feil svar <b>til feil kunde</b>")
    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    assert snapshot(ticket)["status"] == Ticket.Status.WAITING

    response = desk.post(undo_url(ticket, note))
    window_passes()
    worker_run()

    assert response.status_code == 303
    assert smtp_server.messages == []
    assert not Message.objects.filter(kind=Message.Kind.PUBLIC).exists()
    assert not OutboundEmail.objects.exists()
    # The ticket stands as before the reply, its history without the reply's status change.
    assert snapshot(ticket) == opened
    assert not TicketEvent.objects.filter(field="status").exists()


def test_reply_saved_with_resolved_holds_its_rating_request_with_it(
    desk, make_ticket_row, smtp_server, worker_run
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    reply_post(desk, ticket, body="Løst!", status=Ticket.Status.RESOLVED)

    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    rating_email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.RATING)
    assert (rating_email.note, rating_email.send_after) == (note, note.held_until)
    assert Rating.objects.get().email == rating_email
    assert snapshot(ticket)["status"] == Ticket.Status.RESOLVED
    worker_run()
    assert smtp_server.messages == []
    # Once the window is over: the reply, then the question about it.
    window_passes()
    worker_run()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert len(subjects) == 2
    assert "Svar" in subjects[0] and "Hvordan" in subjects[1]


def test_undo_of_a_reply_saved_with_resolved_withdraws_the_rating_request(
    desk, make_ticket_row, smtp_server, worker_run
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    opened = snapshot(ticket)
    reply_post(desk, ticket, body="Løst!", status=Ticket.Status.RESOLVED)
    note = Message.objects.get(kind=Message.Kind.PUBLIC)

    desk.post(undo_url(ticket, note))
    window_passes()
    worker_run()

    assert smtp_server.messages == []
    assert not OutboundEmail.objects.exists()
    assert not Rating.objects.exists()
    # Undone whole, as the reply's own change to waiting is: status and times as before.
    assert snapshot(ticket) == opened
    assert not TicketEvent.objects.filter(field="status").exists()

    # Resolved again (with no rating left from the undone one), the customer is asked.
    reply_post(desk, ticket, body="Løst nå", status=Ticket.Status.RESOLVED)
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.RATING).count() == 1


def test_status_saved_without_a_reply_is_changed_at_once(desk, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(desk, ticket, status=Ticket.Status.RESOLVED)

    desk.post(change_url(ticket), data)

    assert snapshot(ticket)["status"] == Ticket.Status.RESOLVED
    assert OutboundEmail.objects.get(kind=OutboundEmail.Kind.RATING).send_after is None


def test_undone_reply_text_is_back_in_the_reply_box_as_a_reply(desk, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket, body="Hei Kari, <script>x</script> her er svaret.")
    note = Message.objects.get(kind=Message.Kind.PUBLIC)

    page = desk.post(undo_url(ticket, note), follow=True)

    assert "Svaret ble ikke sendt. Teksten er tilbake i svarfeltet." in page.text
    box = page.context["inline_admin_formsets"][1].formset.forms[0]
    assert box.initial == {"kind": "public", "body": "Hei Kari, <script>x</script> her er svaret."}
    assert "Hei Kari, &lt;script&gt;x&lt;/script&gt; her er svaret.</textarea>" in page.text
    # Shown once: the next page has an empty box again.
    assert "her er svaret.</textarea>" not in desk.get(change_url(ticket)).text


def test_undo_after_the_worker_took_the_email_is_refused_and_it_stays_sent(
    desk, make_ticket_row, smtp_server, worker_run
):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket)
    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    window_passes()
    worker_run()

    page = desk.post(undo_url(ticket, note), follow=True)

    assert "For sent å angre: svaret er sendt." in page.text
    assert Message.objects.filter(pk=note.pk).exists()
    assert len(smtp_server.messages) == 1


def test_undo_keeps_a_status_another_agent_set_in_the_window(
    desk, make_ticket_row, django_user_model
):
    from tickets.services import ticket_change

    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket)
    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    colleague = _agent(django_user_model, "ola.agent")
    ticket_change(ticket=ticket, actor=colleague, status=Ticket.Status.RESOLVED)

    desk.post(undo_url(ticket, note))

    assert snapshot(ticket)["status"] == Ticket.Status.RESOLVED
    assert not Message.objects.filter(pk=note.pk).exists()
    # The first response was this reply's: with it gone, there was none.
    assert snapshot(ticket)["first_response_at"] is None


def test_another_agent_cannot_undo_my_reply(desk, make_ticket_row, django_user_model, client):
    from django.test import Client

    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket)
    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    other = Client()
    other.force_login(_agent(django_user_model, "ola.agent"))

    other.post(undo_url(ticket, note))

    assert Message.objects.filter(pk=note.pk).exists()
    assert OutboundEmail.objects.get().send_after is not None


def test_every_agent_sees_a_held_reply_as_waiting_until_it_is_sent(
    desk, make_ticket_row, django_user_model, smtp_server, worker_run
):
    from django.test import Client

    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket, body="Svaret vårt")
    other = Client()
    other.force_login(_agent(django_user_model, "ola.agent"))

    held = other.get(change_url(ticket)).text
    assert "Svar til kunden – venter på sending (kan angres til kl. " in held
    assert "Svar til kunden – venter på sending (kan angres" in desk.get(change_url(ticket)).text
    # The window is over, the worker has not sent it yet: still not sent.
    window_passes()
    assert "Svar til kunden – venter på sending</strong>" in other.get(change_url(ticket)).text
    worker_run()

    sent = other.get(change_url(ticket)).text
    assert len(smtp_server.messages) == 1
    assert "venter på sending" not in sent
    assert "Svar til kunden</div>" in sent


def test_ticket_page_shows_the_held_reply_with_undo_to_its_author_only(desk, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    page = reply_post(desk, ticket).url
    shown = desk.get(page).text

    note = Message.objects.get(kind=Message.Kind.PUBLIC)
    assert f'action="{undo_url(ticket, note)}"' in shown
    assert "Svaret ditt sendes til kunden om" in shown


def test_customer_page_shows_the_reply_only_after_the_window(desk, make_ticket_row, client):
    from django.test import Client

    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    reply_post(desk, ticket, body="Svaret vårt kommer her")
    customer = Client()
    link = Ticket.objects.get(pk=ticket.pk).page_url()

    during = customer.get(link).text
    window_passes()
    after = customer.get(link).text

    assert "Svaret vårt kommer her" not in during
    assert "Svaret vårt kommer her" in after


def test_internal_note_is_never_held_nor_emailed(desk, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(desk, ticket, **{f"{NEW_NOTE}-body": "Bare for oss"})

    desk.post(change_url(ticket), data)

    note = Message.objects.get(body="Bare for oss")
    assert (note.kind, note.held_until) == (Message.Kind.INTERNAL, None)
    assert not OutboundEmail.objects.exists()


def preview_url(ticket):
    return reverse("admin:tickets_ticket_reply_preview", args=[ticket.pk])


def test_preview_is_the_email_text_the_customer_will_get(desk, make_ticket_row, settings):
    settings.SITE_URL = "https://hjelp.example.no"
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    data = desk.post(preview_url(ticket), {"body": "  Hei <script>x</script>  "}).json()

    assert data["to"] == "kari@example.no"
    assert data["subject"] == f"[{ticket.reference}] Svar på henvendelsen din"
    assert "Hei Kari,\n\nHei <script>x</script>\n" in data["text"]
    assert f"https://hjelp.example.no{ticket.page_url()}" in data["text"]
    assert not Message.objects.filter(kind=Message.Kind.PUBLIC).exists()


def test_preview_query_count(desk, make_ticket_row, django_assert_num_queries):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    # Session, user, the ticket, the user's and the group's permissions.
    with django_assert_num_queries(5):
        response = desk.post(preview_url(ticket), {"body": "Svar"})

    assert response.status_code == 200


def test_preview_is_for_agents_only(client, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")

    response = client.post(preview_url(ticket), {"body": "Svar"})

    assert response.status_code == 302


def test_save_with_a_held_reply_stays_on_the_ticket_page_with_its_undo(desk, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    data = change_form_data(
        desk, ticket, **{f"{NEW_NOTE}-kind": "public", f"{NEW_NOTE}-body": "Svar"}
    )

    response = desk.post(f"{change_url(ticket)}?queue=all", data)

    assert response.status_code == 302
    assert response.url == f"{change_url(ticket)}?queue=all"


def test_undo_after_the_statistics_counted_the_solution_takes_it_back(desk, make_ticket_row):
    ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
    # In yesterday: only the day of the undo itself still names the solution it counted.
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(days=1))
    reply_post(desk, ticket, body="Løst!", status=Ticket.Status.RESOLVED)
    ticket_days_update()
    today = local_day(timezone.now())
    assert TicketDay.objects.filter(day=today).aggregate(n=Sum("solved"))["n"] == 1

    desk.post(undo_url(ticket, Message.objects.get(kind=Message.Kind.PUBLIC)))
    ticket_days_update()

    assert not TicketDay.objects.filter(day=today, solved__gt=0).exists()
    assert not TicketDay.objects.filter(day=today, first_responses__gt=0).exists()
