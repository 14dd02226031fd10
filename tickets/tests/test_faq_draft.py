"""An agent's public reply made into a hidden FAQ draft ("Lag FAQ-utkast")."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from faq.models import FaqEntry
from tickets.services import ticket_reply

QUESTION = "Hei, jeg heter Kari og får ikke logget inn på kontoen min. Hva gjør jeg?"
REPLY = "Hei Kari! Trykk «Glemt passord» på innloggingssiden, så får du en lenke på e-post."


@pytest.fixture
def reply(seed, make_ticket, agent):
    ticket = make_ticket(message=QUESTION)
    return ticket_reply(ticket=ticket, author=agent, body=REPLY, is_public=True)


def draft_url(message):
    return reverse("admin:tickets_message_faq_draft", args=[message.pk])


def test_public_reply_on_the_ticket_page_links_to_its_faq_draft(agent_client, reply, agent):
    note = ticket_reply(ticket=reply.ticket, author=agent, body="Intern.", is_public=False)

    page = agent_client.get(reverse("admin:tickets_ticket_change", args=[reply.ticket.pk]))

    assert f'<a href="{draft_url(reply)}">Lag FAQ-utkast</a>' in page.text
    assert draft_url(note) not in page.text


def test_draft_form_is_prefilled_from_the_customer_and_the_reply(agent_client, reply):
    response = agent_client.get(draft_url(reply))

    assert response.status_code == 200
    assert response.context["form"].initial == {"question": QUESTION, "answer": REPLY}
    assert "Fjern navn, adresser" in response.text


def test_saving_the_edited_draft_makes_a_hidden_entry_the_editors_see(
    agent_client, editor_client, client, reply
):
    before = FaqEntry.objects.count()

    response = agent_client.post(
        draft_url(reply),
        {"question": "Jeg får ikke logget inn. Hva gjør jeg?", "answer": "Trykk «Glemt passord»."},
    )

    assert response.status_code == 303
    assert response["Location"] == reverse("admin:tickets_ticket_change", args=[reply.ticket.pk])
    entry = FaqEntry.objects.latest("pk")
    assert FaqEntry.objects.count() == before + 1
    assert (entry.question, entry.answer, entry.is_published) == (
        "Jeg får ikke logget inn. Hva gjør jeg?",
        "Trykk «Glemt passord».",
        False,
    )
    assert "Kari" not in entry.answer_html
    listing = editor_client.get(reverse("admin:faq_faqentry_changelist"))
    assert entry.question in listing.text
    assert entry.question not in client.get("/").text


def test_an_empty_answer_is_refused_and_the_text_kept(agent_client, reply):
    before = FaqEntry.objects.count()

    response = agent_client.post(draft_url(reply), {"question": "Innlogging?", "answer": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["answer"]
    assert 'value="Innlogging?"' in response.text
    assert FaqEntry.objects.count() == before


def test_only_a_public_reply_can_be_drafted(agent_client, reply, agent):
    note = ticket_reply(ticket=reply.ticket, author=agent, body="Intern.", is_public=False)

    assert agent_client.get(draft_url(note)).status_code == 404


def test_a_visitor_who_is_not_staff_cannot_open_it(client, reply):
    response = client.get(draft_url(reply))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_member_who_may_only_see_tickets_cannot_make_a_draft(django_user_model, reply):
    viewer = django_user_model.objects.create_user("leser", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_ticket", "view_message"])
    )
    client = Client()
    client.force_login(viewer)
    before = FaqEntry.objects.count()

    opened = client.get(draft_url(reply))
    posted = client.post(draft_url(reply), {"question": "Innlogging?", "answer": "Svar."})

    assert (opened.status_code, posted.status_code) == (403, 403)
    assert FaqEntry.objects.count() == before


def test_an_editor_who_may_not_see_the_ticket_cannot_make_a_draft(editor, editor_client, reply):
    before = FaqEntry.objects.count()

    opened = editor_client.get(draft_url(reply))
    posted = editor_client.post(draft_url(reply), {"question": "Innlogging?", "answer": "Svar."})

    assert (opened.status_code, posted.status_code) == (403, 403)
    assert FaqEntry.objects.count() == before
