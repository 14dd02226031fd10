import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from tickets.models import Message, OutboundEmail, Ticket
from tickets.tests.test_browser import AGENT_PASSWORD, AGENT_PERMISSIONS, admin_log_in

# The live server and the worker each commit in transactions of their own (see worker_run).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _agent(django_user_model, username, first_name):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.no", AGENT_PASSWORD, is_staff=True, first_name=first_name
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tickets", codename__in=AGENT_PERMISSIONS)
    )
    return user


def _desk(browser, live_server, username, path):
    context = browser.new_context(locale="nb-NO", base_url=live_server.url)
    context.set_default_timeout(5_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    admin_log_in(page, username=username, password=AGENT_PASSWORD, next_path=path)
    return context, page, errors


def test_reply_is_previewed_and_undone_in_its_window_and_never_sent(
    browser, live_server, django_user_model, make_ticket_row, smtp_server, worker_run, settings
):
    settings.REPLY_UNDO_SECONDS = 30
    _agent(django_user_model, "kari.agent", "Kari")
    ticket = make_ticket_row(name="Per Kunde", email="per@example.no", message="Hvor er pakken?")
    path = f"/admin/tickets/ticket/{ticket.pk}/change/"
    context, page, errors = _desk(browser, live_server, "kari.agent", path)
    box = page.locator(".inline-related[data-compose-mode]")

    # A note first: yellow, and it says it stays with the agents.
    expect(box).to_have_attribute("data-compose-mode", "note")
    expect(box.locator(".compose-banner")).to_contain_text("Det sendes aldri til kunden")
    box.get_by_label("Svar til kunden").check()
    expect(box).to_have_attribute("data-compose-mode", "reply")
    box.get_by_label("Tekst").fill("Pakken er sendt <b>i dag</b>.")
    preview = box.locator("[data-compose-preview]")
    expect(preview).to_contain_text("Hei Per Kunde,")
    expect(preview).to_contain_text("Pakken er sendt <b>i dag</b>.")
    page.get_by_role("button", name="Lagre og fortsett å redigere").click()

    held = page.locator("[data-compose-held]")
    expect(held).to_contain_text("Svaret ditt sendes til kunden om")
    held.get_by_role("button", name="Angre").click()

    expect(page.locator(".messagelist .success")).to_contain_text("Svaret ble ikke sendt")
    expect(box.get_by_label("Tekst")).to_have_value("Pakken er sendt <b>i dag</b>.")
    expect(box.get_by_label("Svar til kunden")).to_be_checked()
    OutboundEmail.objects.update(send_after=None, due_at=timezone.now())
    worker_run()
    assert smtp_server.messages == []
    assert not Message.objects.filter(kind=Message.Kind.PUBLIC).exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW
    context.close()
    assert errors == []


def test_two_agents_see_each_other_and_a_stale_save_is_refused_keeping_the_text(
    browser, live_server, django_user_model, make_ticket_row
):
    _agent(django_user_model, "kari.agent", "Kari")
    _agent(django_user_model, "ola.agent", "Ola")
    ticket = make_ticket_row(name="Per Kunde", email="per@example.no", message="Hvor er pakken?")
    path = f"/admin/tickets/ticket/{ticket.pk}/change/"
    kari_context, kari, kari_errors = _desk(browser, live_server, "kari.agent", path)
    ola_context, ola, ola_errors = _desk(browser, live_server, "ola.agent", path)

    expect(kari.locator("[data-compose-presence]")).to_contain_text("Ola", timeout=10_000)
    ola_box = ola.locator(".inline-related[data-compose-mode]")
    ola_box.get_by_label("Tekst").fill("Jeg svarer Per nå")
    expect(kari.locator("[data-compose-presence]")).to_contain_text(
        "Ola (skriver et svar …)", timeout=10_000
    )

    # Kari resolves the ticket; Ola, on the copy from before, saves his note.
    kari.get_by_label("Status").select_option(label="Løst")
    kari.get_by_role("button", name="Lagre og fortsett å redigere").click()
    expect(kari.locator(".messagelist .success")).to_be_visible()
    ola.get_by_role("button", name="Lagre og fortsett å redigere").click()

    refusal = ola.locator(".errornote, .errorlist.nonfield")
    expect(refusal.last).to_contain_text("Status: Ny → Løst")
    expect(ola.locator(".inline-related[data-compose-mode]").get_by_label("Tekst")).to_have_value(
        "Jeg svarer Per nå"
    )
    assert not Message.objects.filter(body="Jeg svarer Per nå").exists()
    # Seen the change, he saves again: the note is there and the ticket stays resolved.
    ola.get_by_role("button", name="Lagre og fortsett å redigere").click()
    expect(ola.locator(".messagelist .success")).to_be_visible()
    assert Message.objects.filter(body="Jeg svarer Per nå").exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED
    kari_context.close()
    ola_context.close()
    assert kari_errors == ola_errors == []


def test_the_undo_countdown_is_announced_at_its_start_and_end_only(
    browser, live_server, django_user_model, make_ticket_row, settings
):
    settings.REPLY_UNDO_SECONDS = 3
    _agent(django_user_model, "kari.agent", "Kari")
    ticket = make_ticket_row(name="Per Kunde", email="per@example.no", message="Hvor er pakken?")
    path = f"/admin/tickets/ticket/{ticket.pk}/change/"
    context, page, errors = _desk(browser, live_server, "kari.agent", path)
    box = page.locator(".inline-related[data-compose-mode]")
    box.get_by_label("Svar til kunden").check()
    box.get_by_label("Tekst").fill("Pakken er sendt.")
    page.get_by_role("button", name="Lagre og fortsett å redigere").click()
    status = page.get_by_role("status").filter(has_text="Svaret ditt sendes til kunden om")

    expect(status).to_have_count(1)
    # The number that ticks each second is in no live region.
    seconds = page.locator("[data-compose-seconds]")
    assert seconds.evaluate("e => e.closest('[aria-live], [role=status]') === null")
    expect(page.locator("[data-compose-held]")).to_have_count(0, timeout=6_000)
    expect(page.locator("[data-compose-held-status]")).to_have_text(
        "Angrefristen er ute: svaret sendes til kunden."
    )
    context.close()
    assert errors == []
