from datetime import datetime, timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tickets.models import OutboundEmail, Ticket
from tickets.services import tickets_erase
from tickets.tasks import outbound_email_send, outbound_emails_claim
from tickets.tests.dovecot import free_port
from tickets.tests.inbound_corpus import message

# The worker claims and sends emails in transactions of its own (see worker_run).
pytestmark = pytest.mark.django_db(transaction=True)


def retries_queued() -> dict[int, datetime]:
    """When each email waiting for another try will be tried: {email id: due_at}."""
    waiting = OutboundEmail.objects.filter(sent_at=None, failed_at=None)
    return dict(waiting.values_list("pk", "due_at"))


def retries_fall_due() -> None:
    """Move every queued retry to now, as if its delay had passed."""
    OutboundEmail.objects.filter(sent_at=None).update(due_at=timezone.now())


def test_sent_email_is_marked_sent(make_ticket, smtp_server, worker_run):
    make_ticket()

    worker_run()

    assert len(smtp_server.messages) == 2
    for email in OutboundEmail.objects.all():
        assert email.sent_at is not None
        assert (email.attempts, email.last_error) == (1, "")


def test_contact_form_answers_and_keeps_the_ticket_while_the_smtp_server_is_down(
    contact_submit, smtp_server, worker_run
):
    smtp_server.stop()

    response = contact_submit(message="Fakturaen mangler")
    worker_run()

    assert response.status_code == 303
    assert Ticket.objects.get().message == "Fakturaen mangler"
    assert OutboundEmail.objects.filter(sent_at=None).count() == 2


def test_failed_send_leaves_the_email_unsent_with_the_error_recorded(
    make_ticket, smtp_server, worker_run
):
    make_ticket()
    smtp_server.stop()

    worker_run()

    for email in OutboundEmail.objects.all():
        assert email.sent_at is None
        assert email.attempts == 1
        assert email.last_error.startswith("ConnectionRefusedError")


def test_failed_send_is_retried_after_the_configured_delay(
    make_ticket, smtp_server, worker_run, settings
):
    settings.EMAIL_RETRY_SECONDS = 5
    make_ticket()
    smtp_server.stop()
    before = timezone.now()

    worker_run()

    after = timezone.now()
    retries = retries_queued()
    assert sorted(retries) == sorted(OutboundEmail.objects.values_list("pk", flat=True))
    for run_after in retries.values():
        assert before + timedelta(seconds=5) <= run_after <= after + timedelta(seconds=5)


def test_emails_are_sent_once_the_smtp_server_is_back(
    make_ticket, smtp_server, worker_run, settings
):
    make_ticket(email="kari@example.no")
    smtp_server.stop()
    worker_run()
    smtp_server.start()
    retries_fall_due()

    worker_run()

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        ["kari@example.no", settings.SUPPORT_EMAIL]
    )
    for email in OutboundEmail.objects.all():
        assert email.sent_at is not None
        assert (email.attempts, email.last_error) == (2, "")


def test_worker_run_after_the_emails_are_sent_sends_nothing_more(
    make_ticket, smtp_server, worker_run
):
    make_ticket()
    smtp_server.stop()
    worker_run()
    smtp_server.start()
    retries_fall_due()
    worker_run()

    worker_run()

    assert len(smtp_server.messages) == 2
    assert retries_queued() == {}


def test_smtp_server_refusing_for_now_leaves_the_email_queued_for_a_retry(
    make_ticket, smtp_server, worker_run
):
    make_ticket()
    smtp_server.refusing = True

    worker_run()

    assert smtp_server.messages == []
    assert len(retries_queued()) == 2
    for email in OutboundEmail.objects.all():
        assert (email.sent_at, email.attempts) == (None, 1)
        assert "451" in email.last_error


def test_emails_refused_for_a_while_are_sent_once_accepted(make_ticket, smtp_server, worker_run):
    make_ticket()
    smtp_server.refusing = True
    worker_run()
    smtp_server.refusing = False
    retries_fall_due()

    worker_run()
    worker_run()

    assert len(smtp_server.messages) == 2
    assert not OutboundEmail.objects.filter(sent_at=None).exists()


def test_retry_delay_doubles_with_each_failure(make_ticket, smtp_server, worker_run, settings):
    settings.EMAIL_RETRY_SECONDS = 30
    make_ticket()
    OutboundEmail.objects.update(attempts=2)
    smtp_server.stop()
    before = timezone.now()

    worker_run()

    after = timezone.now()
    for run_after in retries_queued().values():
        assert before + timedelta(seconds=120) <= run_after <= after + timedelta(seconds=120)


def test_retries_go_on_hourly_however_long_the_smtp_server_is_down(
    make_ticket, smtp_server, worker_run, settings
):
    settings.EMAIL_RETRY_SECONDS = 30
    make_ticket()
    # Two days of failures: seven to reach the hour, then one an hour.
    OutboundEmail.objects.update(attempts=7 + 41)
    smtp_server.stop()
    before = timezone.now()

    worker_run()

    after = timezone.now()
    retries = retries_queued()
    assert len(retries) == 2
    for run_after in retries.values():
        assert before + timedelta(hours=1) <= run_after <= after + timedelta(hours=1)


def test_email_of_a_ticket_erased_before_sending_is_not_sent(make_ticket, smtp_server, worker_run):
    make_ticket(email="kari@example.no")
    tickets_erase(emails=["kari@example.no"], actor=None)

    worker_run()

    assert smtp_server.messages == []
    assert retries_queued() == {}


def test_address_refused_for_good_is_recorded_and_not_retried(make_ticket, smtp_server, worker_run):
    ticket = make_ticket()
    smtp_server.unknown.add(ticket.email)

    worker_run()

    confirmation = OutboundEmail.objects.get(kind=OutboundEmail.Kind.CONFIRMATION)
    assert confirmation.sent_at is None
    assert "550" in confirmation.last_error
    assert len(retries_queued()) == 0
    assert len(smtp_server.messages) == 1


def test_email_queued_for_an_anonymised_ticket_is_dropped_without_error(
    make_ticket, smtp_server, worker_run
):
    ticket = make_ticket(email="kari@example.no")
    tickets_erase(emails=["kari@example.no"], actor=None)
    # As a reply written in the same moment as the erasure would have queued it.
    OutboundEmail.objects.create(
        ticket=ticket, kind=OutboundEmail.Kind.REPLY, to="", subject="Svar"
    )

    tried = worker_run()

    assert tried == 1
    assert smtp_server.messages == []
    assert retries_queued() == {}
    assert not OutboundEmail.objects.exists()


def claims_left_as_a_killed_worker_leaves_them(*, minutes_ago: int) -> None:
    OutboundEmail.objects.update(claimed_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_email_whose_worker_was_killed_is_sent_once_the_claim_is_stale(
    make_ticket, smtp_server, run_worker_run, settings
):
    settings.EMAIL_TASK_STALE_SECONDS = 300
    make_ticket()
    claims_left_as_a_killed_worker_leaves_them(minutes_ago=6)

    run_worker_run()

    assert len(smtp_server.messages) == 2
    assert not OutboundEmail.objects.filter(sent_at=None).exists()
    assert not OutboundEmail.objects.exclude(claimed_at=None).exists()


def test_email_claimed_for_less_than_the_stale_time_is_left_to_its_worker(
    make_ticket, smtp_server, run_worker_run, settings
):
    settings.EMAIL_TASK_STALE_SECONDS = 300
    make_ticket()
    claims_left_as_a_killed_worker_leaves_them(minutes_ago=4)

    run_worker_run()

    assert smtp_server.messages == []
    assert OutboundEmail.objects.filter(sent_at=None).count() == 2


def test_two_claims_at_once_take_each_email_once(make_ticket):
    make_ticket()

    first, second = outbound_emails_claim(limit=None), outbound_emails_claim(limit=None)

    assert sorted(first) == sorted(OutboundEmail.objects.values_list("pk", flat=True))
    assert second == []


def test_email_taken_by_another_worker_after_a_slow_batch_is_sent_by_that_one_only(
    make_ticket, smtp_server, settings
):
    settings.EMAIL_TASK_STALE_SECONDS = 300
    make_ticket()
    # Worker A claimed the batch 6 minutes ago and is still busy with earlier emails; worker B
    # takes the stale claims and sends them.
    slow = timezone.now() - timedelta(minutes=6)
    OutboundEmail.objects.update(due_at=slow - timedelta(minutes=1))
    claimed_by_a = outbound_emails_claim(limit=None, at=slow)
    claimed_by_b = outbound_emails_claim(limit=None)
    assert sorted(claimed_by_a) == sorted(claimed_by_b)

    results = [outbound_email_send(email_id=pk, claimed_at=slow) for pk in claimed_by_a]

    assert results == ["claimed by another worker"] * 2
    assert smtp_server.messages == []
    assert not OutboundEmail.objects.exclude(sent_at=None).exists()


def test_claim_takes_at_most_its_limit_oldest_due_first(make_ticket):
    first = make_ticket()
    make_ticket(email="ola@example.no")

    claimed = outbound_emails_claim(limit=2)

    assert sorted(claimed) == sorted(first.emails.values_list("pk", flat=True))


def test_a_retry_is_not_claimed_before_it_is_due(make_ticket, smtp_server, worker_run):
    make_ticket()
    smtp_server.stop()
    worker_run()
    smtp_server.start()

    tried = worker_run()

    assert tried == 0
    assert smtp_server.messages == []


def test_run_worker_sends_the_emails_written_with_a_ticket(
    make_ticket, smtp_server, run_worker_run
):
    make_ticket()

    run_worker_run()

    assert len(smtp_server.messages) == 2
    assert not DBTaskResult.objects.exists()


def test_email_failing_past_the_max_age_is_marked_failed_and_not_retried(
    make_ticket, smtp_server, worker_run, settings
):
    settings.EMAIL_MAX_AGE_HOURS = 72
    make_ticket()
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(hours=73))
    smtp_server.stop()

    worker_run()

    assert retries_queued() == {}
    for email in OutboundEmail.objects.all():
        assert email.sent_at is None
        assert email.failed_at is not None
        assert email.last_error.startswith("ConnectionRefusedError")


def test_address_refused_for_good_is_marked_failed(make_ticket, smtp_server, worker_run):
    ticket = make_ticket()
    smtp_server.unknown.add(ticket.email)

    worker_run()

    confirmation = OutboundEmail.objects.get(kind=OutboundEmail.Kind.CONFIRMATION)
    assert confirmation.failed_at is not None


def finished_task(*, days_ago: int) -> DBTaskResult:
    """A task row as django-tasks-db leaves one it ran (another app's task, say)."""
    finished_at = timezone.now() - timedelta(days=days_ago)
    return DBTaskResult.objects.create(
        status=TaskResultStatus.SUCCESSFUL,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="tickets.tests.test_tasks.finished_task",
        queue_name="default",
        backend_name="default",
        enqueued_at=finished_at,
        started_at=finished_at,
        finished_at=finished_at,
        return_value=None,
    )


def test_worker_prunes_finished_task_rows_older_than_the_retention(run_worker_run, settings):
    settings.TASK_RESULT_RETENTION_DAYS = 7
    finished_task(days_ago=8)
    recent = finished_task(days_ago=1)

    run_worker_run()

    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]


def test_worker_files_the_mailbox_and_sends_what_that_queued(
    imap_server, smtp_server, run_worker_run, caplog
):
    imap_server.deliver(message(body="Hvor er pakken?", subject="Pakke"))

    run_worker_run()

    ticket = Ticket.objects.get()
    assert ticket.message == "Hvor er pakken?"
    assert "Mailbox: 1 filed, 0 duplicates, 0 ignored, 0 failed" in caplog.messages
    assert imap_server.messages("INBOX") == []
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "kari@example.no",
        "kundeservice@etn.no",
    ]


def test_worker_that_cannot_reach_the_mailbox_logs_it_and_sends_all_the_same(
    make_ticket, smtp_server, run_worker_run, settings, caplog
):
    settings.INBOUND_IMAP = {
        "host": "127.0.0.1",
        "port": free_port(),
        "ssl": False,
        "username": "x",
        "password": "y",
        "folder": "INBOX",
    }
    make_ticket()

    run_worker_run()

    assert any(m.startswith("Mailbox poll failed; trying again in 60 s") for m in caplog.messages)
    assert len(smtp_server.messages) == 2
    assert not OutboundEmail.objects.filter(sent_at=None).exists()
