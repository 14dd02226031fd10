"""The live chat in two real browsers (a customer and an agent) against a real ASGI server:
daphne, in a thread of this process, serving the project's application (pages and sockets)."""

import re
import threading

import pytest
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.cache import cache
from playwright.sync_api import expect

from faq.tests.test_accessibility import AXE_PATH, blocking_violations
from tickets.chat import chat_end, chat_start
from tickets.models import Chat, ChatSettings, Message, Ticket
from tickets.services import ticket_page_link_renew
from tickets.tests.conftest import AGENT_PERMISSIONS

# The server's threads commit on their own connections. No serialized_rollback: after other
# transactional tests its restore collides with the content types they remade; the agents'
# group is made by chat_agent instead.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGENT_PASSWORD = "lang-og-hemmelig-passord"
# What the agents' group may do, of what the chat uses (as the migrations grant it).
CHAT_AGENT = [*AGENT_PERMISSIONS, "view_chat", "view_chatsettings", "change_chatsettings"]


@pytest.fixture(scope="session")
def asgi_server():
    """The base URL of a daphne server running sekvens_help.asgi (and the static files, as
    Django's live server serves them). Twisted's reactor runs once per process: one for all."""
    from daphne.server import Server
    from twisted.internet import reactor

    from sekvens_help.asgi import application

    ready = threading.Event()
    server = Server(
        application=ASGIStaticFilesHandler(application),
        endpoints=["tcp:port=0:interface=127.0.0.1"],
        signal_handlers=False,
        ready_callable=ready.set,
    )
    threading.Thread(target=server.run, daemon=True).start()
    assert ready.wait(10), "daphne did not start"
    yield f"http://127.0.0.1:{server.listening_addresses[0][1]}"
    reactor.callFromThread(reactor.stop)


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def always_open(transactional_db):
    config = ChatSettings.load()
    config.weekdays = "1,2,3,4,5,6,7"
    config.opens, config.closes = "00:00", "23:59:59"
    config.save()


@pytest.fixture
def chat_agent(django_user_model, agents_group):
    user = django_user_model.objects.create_user(
        "ola", "ola@example.no", AGENT_PASSWORD, is_staff=True, first_name="Ola"
    )
    user.groups.add(agents_group(CHAT_AGENT))
    return user


@pytest.fixture
def tab(browser, asgi_server):
    """A new browser context (its own storage and cookies) for each call; script errors fail."""
    contexts, errors = [], []

    def open_tab(**options):
        context = browser.new_context(locale="nb-NO", base_url=asgi_server, **options)
        context.set_default_timeout(8_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        return page

    yield open_tab
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


class CuttableSockets:
    """The page's websockets to `pattern`, passed through to the server until cut: then the
    open one is closed and every new one refused, until `mend()`."""

    def __init__(self, page, pattern: str):
        self.opened = []
        self._cut = threading.Event()
        page.route_web_socket(pattern, self._through)

    def _through(self, route):
        if self._cut.is_set():
            route.close(code=4001, reason="cut")
            return
        route.connect_to_server()
        self.opened.append(route)

    def cut(self):
        self._cut.set()
        self.opened[-1].close(code=4000, reason="cut")

    def mend(self):
        self._cut.clear()


def off_the_browser_loop(function, **kwargs):
    """Call a chat function in a thread of its own: it broadcasts with async_to_sync, which
    refuses to run beside the event loop Playwright keeps in the test's thread."""
    results = []
    thread = threading.Thread(target=lambda: results.append(function(**kwargs)))
    thread.start()
    thread.join(10)
    assert results, f"{function.__name__} did not return"
    return results[0]


def agent_desk(page):
    page.goto("/admin/login/?next=/admin/tickets/ticket/chats/")
    page.locator("#id_username").fill("ola")
    page.locator("#id_password").fill(AGENT_PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/tickets/ticket/chats/")


def agent_online(page, online: bool):
    toggle = page.get_by_role("button", name="Pålogget")
    expect(page.locator("[data-availability-text]")).not_to_be_empty()
    if (toggle.get_attribute("aria-pressed") == "true") != online:
        toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true" if online else "false")


def customer_opens_launcher(page, question: str):
    page.goto("/")
    page.get_by_role("button", name="Chat med oss").click()
    page.get_by_label("Hva kan vi hjelpe deg med?").fill(question)


def test_customer_and_agent_chat_live_and_survive_a_reload_and_a_dropped_connection(
    tab, seed, always_open, chat_agent
):
    agent = tab()
    agent_desk(agent)
    agent_online(agent, True)
    customer = tab()
    # Every socket the customer's page opens goes through this, so the test can cut it.
    sockets = CuttableSockets(customer, "**/ws/chat/**")

    customer_opens_launcher(customer, "Fakturaen min er feil")
    customer.get_by_role("button", name="Snakk med oss").click()
    customer.get_by_label("Navnet ditt").fill("Kari Nordmann")
    customer.get_by_label("E-postadressen din").fill("kari@example.no")
    customer.get_by_role("button", name="Start chatten").click()
    expect(customer.get_by_text("Venter på en rådgiver")).to_be_visible()

    agent.get_by_role("link", name="Kari Nordmann").click()
    agent.get_by_role("button", name="Ta denne chatten").click()
    expect(agent.get_by_text("Du har denne chatten.")).to_be_visible()
    agent.get_by_label("Svar", exact=True).fill("Hei Kari! Se https://example.no/faktura")
    agent.get_by_label("Svar", exact=True).press("Enter")

    log = customer.get_by_role("log")
    expect(log.get_by_text("Hei Kari!")).to_be_visible()
    expect(customer.get_by_text("Du chatter med Ola.")).to_be_visible()
    expect(log.get_by_role("link", name="https://example.no/faktura")).to_have_attribute(
        "href", "https://example.no/faktura"
    )
    customer.get_by_label("Meldingen din").fill("<b>Takk</b>, det stemmer")
    customer.locator("[data-chat-compose]").get_by_role("button", name="Send").click()
    expect(agent.get_by_role("log").get_by_text("<b>Takk</b>, det stemmer")).to_be_visible()
    # Both of her messages: the agent has the chat open and has seen them.
    expect(log.get_by_text("Lest", exact=True)).to_have_count(2)

    customer.reload()
    customer.get_by_role("button", name="Chat med oss").click()
    expect(log.locator("li")).to_have_count(3)

    sockets.cut()
    expect(customer.get_by_text("Forbindelsen ble brutt")).to_be_visible()
    agent.get_by_label("Svar", exact=True).fill("Er du der fortsatt?")
    agent.get_by_label("Svar", exact=True).press("Enter")
    expect(agent.get_by_role("log").get_by_text("Er du der fortsatt?")).to_be_visible()
    sockets.mend()

    expect(log.get_by_text("Er du der fortsatt?")).to_be_visible()
    expect(log.locator("li")).to_have_count(4)
    expect(customer.get_by_text("Forbindelsen ble brutt")).to_be_hidden()
    ticket = Ticket.objects.get()
    assert ticket.assignee == chat_agent
    assert list(ticket.messages.values_list("channel", flat=True)) == ["chat"] * 4


def test_the_desk_keeps_a_reply_its_lost_connection_did_not_send_and_closes_an_ended_chat(
    tab, seed, always_open, chat_agent
):
    chat, _ = off_the_browser_loop(
        chat_start,
        name="Kari Nordmann",
        email="kari@example.no",
        message="Hvor er pakken?",
        client_ip="192.0.2.1",
        source_page=None,
    )
    agent = tab()
    sockets = CuttableSockets(agent, "**/ws/desk/**")
    agent_desk(agent)
    agent.goto(f"/admin/tickets/ticket/chats/{chat.pk}/")
    agent.get_by_role("button", name="Ta denne chatten").click()
    expect(agent.get_by_text("Du har denne chatten.")).to_be_visible()
    reply = agent.get_by_label("Svar", exact=True)
    error = agent.locator("[data-error]")

    sockets.cut()
    expect(agent.get_by_text("Forbindelsen ble brutt. Kobler til igjen")).to_be_visible()
    reply.fill("Pakken er på vei")
    reply.press("Enter")
    # Refused at once when the socket is down, or told after the fact when it went down
    # mid-send: either way the text is still there to send again.
    expect(error).to_have_text(re.compile("Ikke sendt: forbindelsen er brutt|under sending"))
    expect(reply).to_have_value("Pakken er på vei")
    assert not Message.objects.filter(body="Pakken er på vei").exists()

    connected = len(sockets.opened)
    sockets.mend()
    for _ in range(150):
        if len(sockets.opened) > connected:
            break
        agent.wait_for_timeout(100)
    expect(agent.locator("[data-connection]")).to_be_empty()
    reply.press("Enter")
    expect(agent.get_by_role("log").get_by_text("Pakken er på vei")).to_be_visible()
    expect(reply).to_have_value("")
    assert Message.objects.filter(body="Pakken er på vei").count() == 1

    reply.fill("Et utkast til svar")
    off_the_browser_loop(chat_end, chat=Chat.objects.get(pk=chat.pk))
    expect(agent.get_by_text("Chatten er avsluttet. Svar på e-post fra saken.")).to_be_visible()
    # What the agent was typing stays, to be copied into an email from the ticket page.
    expect(reply).to_have_js_property("readOnly", True)
    expect(reply).to_have_value("Et utkast til svar")
    expect(agent.locator("[data-reply] [type=submit]")).to_be_hidden()


def test_a_renewed_page_link_ends_the_chat_in_the_old_browser_with_a_word_not_silence(
    tab, seed, always_open, chat_agent
):
    agent = tab()
    agent_desk(agent)
    agent_online(agent, True)
    customer = tab()
    customer_opens_launcher(customer, "Noen har lenken min")
    customer.get_by_role("button", name="Snakk med oss").click()
    customer.get_by_label("Navnet ditt").fill("Kari Nordmann")
    customer.get_by_label("E-postadressen din").fill("kari@example.no")
    customer.get_by_role("button", name="Start chatten").click()
    log = customer.get_by_role("log")
    expect(log.get_by_text("Noen har lenken min")).to_be_visible()

    off_the_browser_loop(ticket_page_link_renew, ticket=Ticket.objects.get(), actor=chat_agent)

    expect(
        customer.get_by_text("Denne chatten er ikke lenger åpen i denne nettleseren")
    ).to_be_visible()
    expect(log.get_by_text("Noen har lenken min")).to_be_visible()
    expect(customer.get_by_label("Meldingen din")).to_be_hidden()
    customer.reload()
    customer.get_by_role("button", name="Chat med oss").click()
    expect(customer.get_by_label("Hva kan vi hjelpe deg med?")).to_be_visible()


def test_agent_away_makes_the_launcher_take_a_message_answered_by_email(
    tab, seed, always_open, chat_agent
):
    agent = tab()
    agent_desk(agent)
    agent_online(agent, True)
    agent_online(agent, False)
    customer = tab()

    customer_opens_launcher(customer, "Kan dere ringe meg?")

    expect(customer.get_by_text("Ingen er ledige for chat akkurat nå")).to_be_visible()
    customer.get_by_role("button", name="Snakk med oss").click()
    customer.get_by_label("Navnet ditt").fill("Kari Nordmann")
    customer.get_by_label("E-postadressen din").fill("kari@example.no")
    customer.locator("[data-chat]").get_by_role("button", name="Send melding").click()
    expect(customer.get_by_text("Vi har fått meldingen din (SEK-")).to_be_visible()
    ticket = Ticket.objects.get()
    expect(customer.get_by_text(f"Vi har fått meldingen din ({ticket.reference})")).to_be_visible()
    assert ticket.messages.get().channel == Message.Channel.FORM
    assert not Chat.objects.exists()


def test_launcher_opens_from_the_keyboard_and_has_no_serious_accessibility_finding(
    tab, seed, always_open, chat_agent
):
    if not AXE_PATH.exists():
        pytest.skip(f"{AXE_PATH} is missing: `make install` installs axe-core.")
    # axe is added as an inline script, which our Content-Security-Policy rightly refuses.
    customer = tab(bypass_csp=True)
    customer.goto("/")
    launcher = customer.get_by_role("button", name="Chat med oss")

    launcher.focus()
    customer.keyboard.press("Enter")

    expect(customer.get_by_label("Hva kan vi hjelpe deg med?")).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert blocking_violations(customer, AXE_PATH) == []
    customer.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    expect(customer.get_by_label("Hva kan vi hjelpe deg med?")).to_be_hidden()


# Observes the page's notifications: every `new Notification(…)` is recorded, then made by the
# browser's own constructor as before (its permission and requestPermission are the real ones).
NOTIFICATIONS_RECORDED = """
window.notificationsMade = [];
const RealNotification = window.Notification;
class RecordedNotification extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.notificationsMade.push({ title: title, body: (options || {}).body || "" });
  }
}
window.Notification = RecordedNotification;
"""


def customer_starts_chat(page, name: str, email: str):
    customer_opens_launcher(page, "Hvor er pakken min?")
    page.get_by_role("button", name="Snakk med oss").click()
    page.get_by_label("Navnet ditt").fill(name)
    page.get_by_label("E-postadressen din").fill(email)
    page.get_by_role("button", name="Start chatten").click()
    expect(page.get_by_text("Venter på en rådgiver")).to_be_visible()


def test_an_agent_who_opted_in_gets_a_browser_notification_for_a_new_chat(
    tab, asgi_server, seed, always_open, chat_agent
):
    agent = tab()
    agent.context.grant_permissions(["notifications"], origin=asgi_server)
    agent.context.add_init_script(NOTIFICATIONS_RECORDED)
    agent_desk(agent)
    agent_online(agent, True)
    queue = agent.locator("[data-queue]")

    # Not asked for yet: the chat is in the queue, and no notification.
    customer_starts_chat(tab(), "Kari Nordmann", "kari@example.no")
    expect(agent.get_by_role("link", name="Kari Nordmann")).to_be_visible()
    assert agent.evaluate("window.notificationsMade") == []

    opt_in = agent.get_by_role("button", name="Varsle meg om nye chatter")
    expect(opt_in).to_have_attribute("aria-pressed", "false")
    opt_in.click()
    expect(opt_in).to_have_attribute("aria-pressed", "true")
    # Remembered in this browser: the next visit to the queue has it on.
    agent.reload()
    expect(opt_in).to_have_attribute("aria-pressed", "true")
    expect(agent.get_by_role("link", name="Kari Nordmann")).to_be_visible()

    customer_starts_chat(tab(), "Per Hansen", "per@example.no")

    agent.wait_for_function("window.notificationsMade.length > 0")
    assert agent.evaluate("window.notificationsMade") == [
        {"title": "Ny chat venter", "body": "Per Hansen"}
    ]
    expect(queue.locator("li")).to_have_count(2)
