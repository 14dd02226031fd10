import re

import pytest
from django.test import Client
from django.urls import reverse

from tickets.chat import availability_set, chat_start
from tickets.models import Chat, ChatSettings, Ticket

STATUS_URL = reverse("tickets:chat_status")
START_URL = reverse("tickets:chat_start")
MESSAGE_URL = reverse("tickets:chat_message")
START_DATA = {"name": "Kari Nordmann", "email": "kari@example.no", "message": "Hei, hjelp!"}


@pytest.fixture
def always_open(db):
    config = ChatSettings.load()
    config.weekdays = "1,2,3,4,5,6,7"
    config.opens, config.closes = "00:00", "23:59:59"
    config.save()
    return config


@pytest.fixture
def online(always_open, agent):
    availability_set(agent=agent, is_online=True)
    return agent


def test_help_page_carries_the_launcher_and_stays_the_same_bytes_without_a_cookie(client, seed):
    first = client.get("/")
    second = Client().get("/")

    assert "data-chat" in first.text and "tickets/chat.js" in first.text
    assert "Chat med oss" in first.text
    assert first.content == second.content
    assert not first.cookies and "Set-Cookie" not in first
    assert "unsafe-inline" not in first["Content-Security-Policy"]


def test_english_help_page_has_the_launcher_in_english(client, seed):
    response = client.get("/en/")

    assert "Chat with us" in response.text
    assert 'data-start-url="/en/chat/start/"' in response.text


def test_status_says_offline_with_the_answer_time_when_no_agent_is_online(client, always_open):
    response = client.get(STATUS_URL)

    assert response.json() == {"available": False, "reason": "offline", "answer_hours": 8}
    assert response["Cache-Control"] == "no-store"


def test_status_is_available_with_an_agent_online_in_opening_hours(client, online):
    assert client.get(STATUS_URL).json()["available"] is True


def test_start_makes_a_chat_and_returns_its_token(client, online):
    response = client.post(START_URL, START_DATA)

    assert response.status_code == 201
    chat = Chat.objects.get()
    assert response.json()["chat"] == chat.pk
    assert chat.ticket.messages.get().channel == "chat"


def test_start_with_the_honeypot_filled_makes_nothing(client, online):
    response = client.post(START_URL, START_DATA | {"website": "http://spam.example"})

    assert response.status_code == 201
    assert response.json() == {"token": ""}
    assert not Ticket.objects.exists()


def test_start_without_an_agent_is_refused_so_the_launcher_offers_the_message_form(
    client, always_open
):
    response = client.post(START_URL, START_DATA)

    assert response.status_code == 409
    assert not Chat.objects.exists()


def test_start_with_a_bad_email_says_why_in_norwegian(client, online):
    response = client.post(START_URL, START_DATA | {"email": "kari@"})

    assert response.status_code == 400
    assert response.json()["errors"]["email"] == ["Oppgi en gyldig e-postadresse"]


def test_start_from_another_site_is_refused(client, online):
    response = client.post(START_URL, START_DATA, headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert not Chat.objects.exists()


def test_message_left_offline_is_an_ordinary_ticket_answered_by_email(client, seed):
    token = client.get(reverse("tickets:form_token")).json()["token"]

    response = client.post(MESSAGE_URL, START_DATA | {"token": token})

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json()["reference"] == ticket.reference
    assert ticket.messages.get().channel == "form"
    assert not Chat.objects.exists()
    assert sorted(ticket.emails.values_list("kind", flat=True)) == ["confirmation", "notification"]


def _chat(**overrides):
    values = {"name": "Kari", "email": "kari@example.no", "message": "Hei"}
    return chat_start(**values | overrides, client_ip="192.0.2.1", source_page=None)[0]


@pytest.mark.parametrize("earlier", [1, 5])
def test_chat_view_shows_earlier_tickets_and_faq_answers_in_constant_queries(
    agent_client, seed, make_ticket, earlier, django_assert_num_queries, settings
):
    settings.CONFIRMATION_DAILY_LIMIT = 10
    for number in range(earlier):
        make_ticket(message=f"Tidligere sak {number}", email="KARI@example.no")
    chat = _chat(message="<script>alert(1)</script>")
    url = reverse("admin:tickets_ticket_chat", args=[chat.pk])
    agent_client.get(url)

    with django_assert_num_queries(8):
        response = agent_client.get(url)

    assert response.status_code == 200
    assert len(re.findall(r"Tidligere sak \d", response.text)) == earlier
    assert "data-answer=" in response.text
    assert "<script>alert(1)</script>" not in response.text


def test_chat_desk_is_for_agents_only(editor_client, agent_client):
    assert agent_client.get(reverse("admin:tickets_ticket_chats")).status_code == 200
    assert editor_client.get(reverse("admin:tickets_ticket_chats")).status_code == 403


def test_agent_sets_the_chat_opening_hours_in_the_admin(agent_client):
    url = reverse("admin:tickets_chatsettings_change", args=[ChatSettings.load().pk])
    data = {"is_enabled": "on", "opens": "09:00", "closes": "15:00", "answer_hours": "4"}

    refused = agent_client.post(url, data | {"weekdays": "mandag", "_save": "1"})
    saved = agent_client.post(url, data | {"weekdays": "1,2,3", "_save": "1"})

    assert refused.status_code == 200
    assert "Skriv ukedager som tall" in refused.text
    assert saved.status_code == 302
    config = ChatSettings.load()
    assert (config.weekday_numbers(), config.answer_hours) == ({1, 2, 3}, 4)
