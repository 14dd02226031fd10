"""The agents' desk pages (tickets.desk, tickets.queue): the queue, take, next, the landing page.

Agents here log in as in production: password, then the code from their authenticator app.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from staffauth.tests.conftest import app_code
from tickets.models import Message, OutboundEmail, Ticket, TicketEvent
from tickets.references import reference_new

QUEUE = reverse("admin:tickets_ticket_queue")
COUNTS = reverse("admin:tickets_ticket_queue_counts")
CHANGELIST = reverse("admin:tickets_ticket_changelist")


def verified_client(user) -> Client:
    """A client logged in with a password and then a code, as STAFF_REQUIRE_2FA asks."""
    device = TOTPDevice.objects.create(user=user, name="Telefon", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.post(
        f"{reverse('staffauth:verify')}?next={QUEUE}", {"code": app_code(device)}
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def desk_client(agent, settings):
    settings.STAFF_REQUIRE_2FA = True
    return verified_client(agent)


@pytest.fixture
def colleague(django_user_model):
    user = django_user_model.objects.create_user("kollega", "kollega@example.no", is_staff=True)
    user.groups.add(Group.objects.get(name="Kundeservice"))
    return user


@pytest.fixture
def make_ticket(make_ticket_row):
    """A ticket row with its due times `due_in` from now (None: no targets)."""

    def make(due_in: timedelta | None = timedelta(hours=8), **overrides) -> Ticket:
        now = timezone.now()
        values = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Hei!"}
        if due_in is not None:
            values |= {"first_response_due": now + due_in, "resolution_due": now + 5 * due_in}
        return make_ticket_row(**values | overrides)

    return make


def form_data(client, url, **fields) -> dict:
    """What a browser posts from the ticket page at `url` as rendered, with `fields` changed."""
    page = client.get(url).text
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = chosen[1] if chosen else ""
    # The clicked button's name: without it the page's action bar would take the post.
    return data | {"_save": "Lagre"} | fields


def queued(response) -> list[int]:
    return [row["ticket"].pk for row in response.context["rows"]]


def change_url(ticket, **query) -> str:
    path = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else path


def test_an_agent_lands_on_the_queue_after_logging_in(desk_client):
    response = desk_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == QUEUE


def test_the_queue_is_titled_in_norwegian_with_its_three_tabs(desk_client):
    response = desk_client.get(QUEUE)

    assert response.status_code == 200
    assert "<h1>Trenger svar</h1>" in response.text
    tabs = re.findall(r'<a href="[^"]*\?tab=(\w+)"[^>]*>(\w+) <span', response.text)
    assert tabs == [("mine", "Mine"), ("unassigned", "Ufordelt"), ("all", "Alle")]


def test_an_editor_lands_on_the_admin_index_and_cannot_open_the_queue(editor_client):
    index = editor_client.get(reverse("admin:index"))
    queue = editor_client.get(QUEUE)
    counts = editor_client.get(COUNTS)

    assert index.status_code == 200
    assert QUEUE not in index.text
    assert queue.status_code == counts.status_code == 403


def test_a_superuser_outside_the_agents_group_keeps_the_admin_index(admin_client):
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_the_queue_holds_only_tickets_waiting_on_us(desk_client, make_ticket):
    new, open_ = make_ticket(), make_ticket(status=Ticket.Status.OPEN)
    for status in ["waiting", "resolved", "closed"]:
        make_ticket(status=status)

    response = desk_client.get(QUEUE)

    assert sorted(queued(response)) == sorted([new.pk, open_.pk])


def test_the_queue_is_ordered_by_time_to_the_target_then_by_age(desk_client, make_ticket):
    late = make_ticket(due_in=timedelta(hours=3))
    soon = make_ticket(due_in=timedelta(minutes=20))
    breached = make_ticket(due_in=timedelta(minutes=-30))
    no_target_old = make_ticket(due_in=None)
    no_target_new = make_ticket(due_in=None)
    Ticket.objects.filter(pk=no_target_old.pk).update(created_at=timezone.now() - timedelta(days=2))

    response = desk_client.get(QUEUE)

    assert queued(response) == [breached.pk, soon.pk, late.pk, no_target_old.pk, no_target_new.pk]


def test_an_answered_ticket_counts_to_its_resolution_target(desk_client, make_ticket):
    now = timezone.now()
    answered = make_ticket(
        status=Ticket.Status.OPEN,
        first_response_at=now,
        first_response_due=now - timedelta(hours=1),
        resolution_due=now + timedelta(hours=2),
    )
    unanswered = make_ticket(due_in=timedelta(hours=1))

    response = desk_client.get(QUEUE)

    assert queued(response) == [unanswered.pk, answered.pk]


def test_the_tabs_show_mine_unassigned_and_all_with_their_counts(
    desk_client, agent, colleague, make_ticket
):
    mine = make_ticket(assignee=agent)
    unassigned = [make_ticket(), make_ticket()]
    make_ticket(assignee=colleague)
    make_ticket(assignee=agent, status=Ticket.Status.WAITING)

    pages = {tab: desk_client.get(QUEUE, {"tab": tab}) for tab in ["mine", "unassigned", "all"]}
    counts = desk_client.get(COUNTS).json()

    assert queued(pages["mine"]) == [mine.pk]
    assert sorted(queued(pages["unassigned"])) == sorted(t.pk for t in unassigned)
    assert len(queued(pages["all"])) == 4
    assert counts == {"mine": 1, "unassigned": 2, "all": 4}
    shown = re.findall(r'data-count="(\w+)">(\d+)<', pages["all"].text)
    assert shown == [("mine", "1"), ("unassigned", "2"), ("all", "4")]


def test_the_queue_shows_time_left_and_how_long_the_customer_has_waited(desk_client, make_ticket):
    ticket = make_ticket(due_in=timedelta(minutes=-30))
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(days=3))
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=3))

    response = desk_client.get(QUEUE)

    row = re.search(r'<tr class="desk-row desk-breached">.*?</tr>', response.text, re.S)[0]
    # "Brutt" alone at night or at a weekend, when no business time has passed since.
    assert re.search(r'<td class="desk-left">Brutt( for \d)?', row)
    assert re.search(r'<td class="desk-waiting">3\xa0dager', row)


def test_waiting_time_starts_at_the_customers_answer_after_our_reply(desk_client, make_ticket):
    ticket = make_ticket(status=Ticket.Status.OPEN)
    long_ago = timezone.now() - timedelta(days=5)
    Message.objects.filter(ticket=ticket).update(created_at=long_ago)
    Message.objects.create(ticket=ticket, kind=Message.Kind.PUBLIC, body="Hvilken faktura?")
    answer = Message.objects.create(ticket=ticket, kind=Message.Kind.CUSTOMER, body="Nr. 42")

    response = desk_client.get(QUEUE)

    row = response.context["rows"][0]
    assert row["ticket"].waiting_since == answer.created_at
    assert row["is_reopened"]
    assert "Kunden svarte" in response.text


def test_a_ticket_opened_from_the_queue_links_to_the_next_one_in_that_tab(desk_client, make_ticket):
    first = make_ticket(due_in=timedelta(minutes=10))
    second = make_ticket(due_in=timedelta(minutes=20))
    third = make_ticket(due_in=None)

    pages = [desk_client.get(change_url(t, queue="all")) for t in (first, second, third)]

    assert [page.context["queue_next_url"] for page in pages] == [
        change_url(second, queue="all"),
        change_url(third, queue="all"),
        "",
    ]
    assert f'href="{change_url(second, queue="all")}" data-queue-next' in pages[0].text


def test_the_next_ticket_stays_in_the_tab(desk_client, agent, make_ticket):
    first = make_ticket(due_in=timedelta(minutes=10), assignee=agent)
    make_ticket(due_in=timedelta(minutes=15))
    mine_next = make_ticket(due_in=timedelta(minutes=20), assignee=agent)

    page = desk_client.get(change_url(first, queue="mine"))

    assert page.context["queue_next_url"] == change_url(mine_next, queue="mine")


def test_a_ticket_opened_from_the_changelist_has_no_next_link(desk_client, make_ticket):
    ticket, _ = make_ticket(), make_ticket()

    page = desk_client.get(change_url(ticket))

    assert "data-queue-next" not in page.text


def test_saving_a_ticket_opened_from_the_queue_goes_back_to_that_tab(desk_client, make_ticket):
    ticket = make_ticket()
    data = form_data(
        desk_client, change_url(ticket, queue="unassigned"), status="open", _save="Lagre"
    )

    response = desk_client.post(change_url(ticket, queue="unassigned"), data)

    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?tab=unassigned"
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN


def test_take_makes_the_ticket_the_agents_and_opens_it(desk_client, agent, make_ticket):
    ticket = make_ticket()
    page = desk_client.get(change_url(ticket, queue="all"))

    response = desk_client.post(page.context["take_url"])

    assert response.status_code == 303
    assert response["Location"] == change_url(ticket, queue="all")
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (agent, Ticket.Status.OPEN)
    assert "Ta saken" in page.text
    assert "Du tok" in desk_client.get(response["Location"]).text


def test_take_is_not_offered_on_the_agents_own_ticket(desk_client, agent, make_ticket):
    ticket = make_ticket(assignee=agent)

    page = desk_client.get(change_url(ticket))

    assert "Ta saken" not in page.text


def test_take_needs_a_post(desk_client, make_ticket):
    ticket = make_ticket()

    response = desk_client.get(reverse("admin:tickets_ticket_take", args=[ticket.pk]))

    assert response.status_code == 405
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_an_editor_cannot_take_a_ticket(editor_client, make_ticket):
    ticket = make_ticket()

    response = editor_client.post(reverse("admin:tickets_ticket_take", args=[ticket.pk]))

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_the_assignee_choices_are_the_active_agents_only(
    desk_client, agent, colleague, editor, admin_user, django_user_model, make_ticket
):
    departed = django_user_model.objects.create_user("sluttet", is_staff=True, is_active=False)
    departed.groups.add(Group.objects.get(name="Kundeservice"))
    ticket = make_ticket()

    page = desk_client.get(change_url(ticket)).text

    options = re.search(r'<select name="assignee"[^>]*>(.*?)</select>', page, re.S)[1]
    assert re.findall(r'<option value="\d+">(\w+)</option>', options) == ["agent", "kollega"]


def test_an_editor_cannot_be_given_a_ticket(desk_client, editor, make_ticket):
    ticket = make_ticket()
    data = form_data(desk_client, change_url(ticket), assignee=editor.pk)

    response = desk_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert "Velg et gyldig valg" in response.text
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_assigning_to_a_colleague_on_the_ticket_page_emails_them(
    desk_client, colleague, make_ticket
):
    ticket = make_ticket()
    data = form_data(desk_client, change_url(ticket), assignee=colleague.pk)

    desk_client.post(change_url(ticket), data)

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to) == (OutboundEmail.Kind.ASSIGNED, "kollega@example.no")
    assert "gav deg saken" in email.subject


def test_a_refused_status_change_on_the_ticket_page_says_why(desk_client, make_ticket):
    ticket = make_ticket(status=Ticket.Status.CLOSED)
    data = form_data(desk_client, change_url(ticket), status="resolved")

    response = desk_client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert "En sak kan ikke gå fra «Lukket» til «Løst»." in response.text
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CLOSED
    assert not TicketEvent.objects.exists()


def test_a_refused_status_change_in_bulk_names_the_ticket(desk_client, make_ticket):
    closed, new = make_ticket(status=Ticket.Status.CLOSED), make_ticket()
    data = {"action": "set_status", "_selected_action": [closed.pk, new.pk], "status": "resolved"}

    response = desk_client.post(CHANGELIST, data, follow=True)

    assert "1 sak endret." in response.text
    assert f"{closed.reference}: En sak kan ikke gå fra «Lukket» til «Løst»." in response.text
    assert Ticket.objects.get(pk=new.pk).status == Ticket.Status.RESOLVED


def test_the_changelist_shows_time_left_and_sorts_by_it(desk_client, make_ticket):
    later = make_ticket(due_in=timedelta(hours=2))
    sooner = make_ticket(due_in=timedelta(minutes=30))
    time_left_column = 7

    response = desk_client.get(CHANGELIST, {"o": str(time_left_column)})

    assert [t.pk for t in response.context["cl"].result_list][:2] == [sooner.pk, later.pk]
    assert '<td class="field-time_left">' in response.text
    assert "igjen" in response.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("breached", ["breached"]), ("soon", ["soon"]), ("ok", ["ok"])],
)
def test_the_sla_filter_lists_breached_due_soon_and_on_time(
    desk_client, make_ticket, value, expected
):
    # Due within an hour of business time, whatever the clock says now: "soon" and "ok" are
    # placed by business_add from now, as the filter measures them.
    from tickets.sla import business_add

    now = timezone.now()
    tickets = {
        "breached": make_ticket(due_in=timedelta(minutes=-5)),
        "soon": make_ticket(due_in=business_add(now, 1800) - now),
        "ok": make_ticket(due_in=business_add(now, 3 * 3600) - now),
        "paused": make_ticket(due_in=timedelta(minutes=-5), status=Ticket.Status.WAITING),
    }
    Ticket.objects.filter(pk=tickets["paused"].pk).update(sla_paused_at=now)

    response = desk_client.get(CHANGELIST, {"sla": value})

    listed = {t.pk for t in response.context["cl"].result_list}
    assert listed == {tickets[name].pk for name in expected}


@pytest.mark.parametrize("count", [10, 1000])
def test_queue_query_count_does_not_grow_with_tickets(
    desk_client, agent, django_assert_num_queries, count
):
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            name=f"Kunde {n}",
            email=f"kunde{n}@example.no",
            message=f"Melding {n}",
            assignee=None if n % 3 else agent,
            status=Ticket.Status.NEW if n % 2 else Ticket.Status.OPEN,
            reference=reference_new(),
            first_response_due=now + timedelta(minutes=n),
            resolution_due=now + timedelta(hours=n),
        )
        for n in range(1, count + 1)
    )

    # Session, user, the 2FA device, user and group permissions, the counts, one page of rows.
    with django_assert_num_queries(7):
        response = desk_client.get(QUEUE)

    assert response.status_code == 200
    assert len(response.context["rows"]) == min(count, 50)


@pytest.mark.parametrize("count", [10, 1000])
def test_ticket_page_from_the_queue_query_count_does_not_grow_with_tickets(
    desk_client, django_assert_num_queries, make_ticket, count
):
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            name=f"Kunde {n}",
            email=f"kunde{n}@example.no",
            message=f"Melding {n}",
            reference=reference_new(),
            first_response_due=now + timedelta(minutes=n),
            resolution_due=now + timedelta(hours=n),
        )
        for n in range(1, count + 1)
    )
    ticket = Ticket.objects.order_by("first_response_due").first()
    TicketEvent.objects.create(ticket=ticket, field="priority", old_value="low", new_value="high")

    # Django caches content types for the process, so whether an earlier test read this one
    # would change the count: every run reads it.
    ContentType.objects.clear_cache()

    # Session, user, 2FA device, the ticket (read once for the desk context and the form), user
    # and group permissions, the next ticket, the customer's other tickets, its thread (no
    # attachments to fetch), history and emails, the content type, the assignee choices, the
    # customer's ratings; the page's copy state (newest message), the agent's held replies,
    # merges to undo, tickets merged into it.
    with django_assert_num_queries(18):
        response = desk_client.get(change_url(ticket, queue="all"))

    assert response.status_code == 200
    assert response.context["queue_next_url"]


def test_the_changelist_links_to_the_queue(desk_client):
    response = desk_client.get(CHANGELIST)

    assert f'<a href="{QUEUE}">Trenger svar</a>' in response.text


NEW = reverse("admin:tickets_ticket_new")
PHONE_CALL = {
    "name": "Per Hansen",
    "email": "per@example.no",
    "message": "Ringte om en dobbel faktura.",
    "channel": "phone",
}


def test_an_agent_writes_a_phone_call_down_as_the_customers_ticket(desk_client, agent, settings):
    response = desk_client.post(NEW, PHONE_CALL | {"confirm": "on", "take": "on"})

    ticket = Ticket.objects.get()
    assert response.status_code == 303
    assert response["Location"] == change_url(ticket)
    assert (ticket.name, ticket.email, ticket.message) == (
        "Per Hansen",
        "per@example.no",
        "Ringte om en dobbel faktura.",
    )
    assert (ticket.assignee, ticket.status) == (agent, Ticket.Status.OPEN)
    first = ticket.messages.get()
    assert (first.kind, first.channel, first.author) == ("customer", "phone", None)
    assert ticket.first_response_due is not None
    kinds = sorted(OutboundEmail.objects.values_list("kind", "to"))
    assert kinds == [("confirmation", "per@example.no"), ("notification", settings.SUPPORT_EMAIL)]
    event = TicketEvent.objects.get(field="channel")
    assert (event.actor, event.new_value) == (agent, "phone")


def test_a_walk_in_without_a_confirmation_sends_the_customer_nothing(desk_client):
    desk_client.post(NEW, PHONE_CALL | {"channel": "walk_in"})

    ticket = Ticket.objects.get()
    assert ticket.messages.get().channel == "walk_in"
    assert ticket.assignee is None
    assert not OutboundEmail.objects.filter(to="per@example.no").exists()


def test_the_new_ticket_form_keeps_what_was_typed_and_says_what_is_wrong(desk_client):
    response = desk_client.post(NEW, PHONE_CALL | {"email": "per@", "name": "Per\nBcc: x"})

    assert response.status_code == 200
    assert "Navnet kan ikke inneholde linjeskift" in response.text
    assert "Ringte om en dobbel faktura." in response.text
    assert not Ticket.objects.exists()


def test_only_phone_and_walk_in_can_be_chosen(desk_client):
    response = desk_client.post(NEW, PHONE_CALL | {"channel": "email"})

    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_the_new_ticket_page_is_in_norwegian_and_linked_from_the_changelist(desk_client):
    page = desk_client.get(NEW)
    changelist = desk_client.get(CHANGELIST)

    assert "<h1>Ny sak for en kunde</h1>" in page.text
    assert "Telefon" in page.text and "Oppmøte" in page.text
    assert f'<a href="{NEW}" class="addlink">Ny sak (telefon eller oppmøte)</a>' in changelist.text


def test_an_editor_cannot_create_a_ticket_for_a_customer(editor_client):
    response = editor_client.post(NEW, PHONE_CALL)

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_the_ticket_page_lists_the_customers_other_tickets_with_links_and_status(
    desk_client, make_ticket
):
    ticket = make_ticket(email="kari@example.no")
    older = make_ticket(email="Kari@Example.no", status=Ticket.Status.CLOSED, message="Gammel")
    make_ticket(email="ola@example.no", message="Noen andre")

    page = desk_client.get(change_url(ticket)).text

    others = re.search(r'<ul class="desk-others">.*?</ul>', page, re.S)[0]
    assert f'<a href="{change_url(older)}">{older.reference}</a>' in others
    assert "Lukket" in others and "Gammel" in others
    assert "Noen andre" not in others
    assert ticket.reference not in others


def test_many_other_tickets_show_the_latest_and_a_search_for_all(desk_client, make_ticket):
    ticket = make_ticket()
    for _ in range(12):
        make_ticket()

    page = desk_client.get(change_url(ticket)).text

    others = re.search(r'<ul class="desk-others">.*?</ul>', page, re.S)[0]
    assert others.count("<li>") == 10
    assert f'href="{CHANGELIST}?q=kari%40example.no">Alle kundens saker' in page


@pytest.mark.parametrize("count", [2, 50])
def test_ticket_page_query_count_does_not_grow_with_the_customers_tickets(
    desk_client, django_assert_num_queries, make_ticket, count
):
    tickets = [make_ticket() for _ in range(count)]
    ContentType.objects.clear_cache()

    # Session, user, 2FA device, the ticket, user and group permissions, the customer's other
    # tickets, the thread, its attachments, history, emails, the content type, the assignees,
    # the ratings; the page's copy state, the agent's held replies, merges to undo, tickets
    # merged into it.
    with django_assert_num_queries(18):
        response = desk_client.get(change_url(tickets[0]))

    assert response.status_code == 200
