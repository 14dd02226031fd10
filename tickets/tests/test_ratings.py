import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tickets.models import OutboundEmail, Rating, Ticket
from tickets.ratings import rating_token
from tickets.services import ticket_change, tickets_erase
from tickets.tests.test_admin import change_url
from tickets.tests.test_emails import html_of, text_of

# The worker and the live server commit in transactions of their own (see worker_run).
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+/vurdering/\S+\?valg=[a-z-]+")


def resolve(ticket: Ticket, actor=None) -> None:
    ticket_change(ticket=ticket, actor=actor, status=Ticket.Status.RESOLVED)


def reopen(ticket: Ticket) -> None:
    ticket_change(ticket=ticket, actor=None, status=Ticket.Status.OPEN)


def rating_email_of(smtp_server, ticket):
    (message,) = [m for m in smtp_server.messages if "Hvordan gjorde vi det?" in m["Subject"]]
    return message


def links_of(message) -> dict[str, str]:
    """The email's two links by the word before each, as a customer reads them."""
    found = {}
    for line in text_of(message).splitlines():
        if match := LINK.search(line):
            found[line.split(":")[0]] = urlsplit(match[0])._replace(scheme="", netloc="").geturl()
    return found


def page_path(rating: Rating, choice: str = "fornoyd") -> str:
    return f"/vurdering/{rating_token(rating)}/?valg={choice}"


@pytest.fixture
def resolved(make_ticket):
    ticket = make_ticket(email="kari@example.no")
    resolve(ticket)
    return ticket


def test_resolving_a_ticket_emails_the_customer_two_rating_links(
    make_ticket, smtp_server, worker_run
):
    ticket = make_ticket(email="kari@example.no")

    resolve(ticket)
    worker_run()

    message = rating_email_of(smtp_server, ticket)
    assert message["To"] == "kari@example.no"
    assert message["Subject"] == f"[{ticket.reference}] Hvordan gjorde vi det?"
    links = links_of(message)
    assert sorted(links) == ["Fornøyd", "Ikke fornøyd"]
    assert links["Fornøyd"].endswith("?valg=fornoyd")
    assert links["Ikke fornøyd"].endswith("?valg=ikke-fornoyd")
    html = html_of(message)
    assert ">Fornøyd</a>" in html
    assert ">Ikke fornøyd</a>" in html


def test_opening_a_link_records_nothing_and_shows_the_choice_made(
    resolved, smtp_server, worker_run, client
):
    worker_run()
    links = links_of(rating_email_of(smtp_server, resolved))

    response = client.get(links["Ikke fornøyd"])

    assert response.status_code == 200
    content = response.content.decode()
    assert re.search(r'value="bad" checked', content)
    assert not re.search(r'value="good" checked', content)
    rating = Rating.objects.get()
    assert (rating.score, rating.rated_at) == ("", None)


def test_sending_the_form_records_the_rating_and_comment_once(resolved, client):
    rating = Rating.objects.get()
    path = page_path(rating)

    first = client.post(path, {"score": "good", "comment": "Rask hjelp, takk!"})
    second = client.post(path, {"score": "bad", "comment": "Endret meg"})

    assert first.status_code == 303
    assert second.status_code == 200
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == ("good", "Rask hjelp, takk!")
    assert rating.rated_at is not None
    assert "Svaret ditt er registrert" in client.get(first["Location"]).content.decode()


def test_form_without_a_choice_is_refused_and_keeps_the_comment(resolved, client):
    rating = Rating.objects.get()

    response = client.post(page_path(rating), {"comment": "Hei <b>der</b>"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "Velg ett av de to svarene." in content
    assert "Hei &lt;b&gt;der&lt;/b&gt;" in content
    assert Rating.objects.get().rated_at is None


def test_expired_link_records_nothing(resolved, client):
    rating = Rating.objects.get()
    Rating.objects.filter(pk=rating.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    shown = client.get(page_path(rating))
    posted = client.post(page_path(rating), {"score": "good"})

    assert (shown.status_code, posted.status_code) == (410, 410)
    assert "Denne lenken har utløpt" in posted.content.decode()
    assert Rating.objects.get().rated_at is None


def test_link_lasts_the_rating_link_days_setting(make_ticket, settings):
    settings.RATING_LINK_DAYS = 3
    before = timezone.now()

    resolve(make_ticket())

    rating = Rating.objects.get()
    assert before + timedelta(days=3) <= rating.expires_at <= timezone.now() + timedelta(days=3)


@pytest.mark.parametrize("change", ["signature", "key"])
def test_forged_link_is_not_found(resolved, client, change):
    rating = Rating.objects.get()
    token = rating_token(rating)
    pk, key, signature = token.split(".")
    forged = {
        "signature": f"{pk}.{key}.{signature[:-2]}xx",
        # Signed as we sign, but with a key that is not the rating's.
        "key": rating_token(Rating(pk=rating.pk, key="not-the-key")),
    }[change]

    response = client.get(f"/vurdering/{forged}/?valg=fornoyd")

    assert response.status_code == 404


def test_page_is_private_and_not_indexed(resolved, client):
    response = client.get(page_path(Rating.objects.get()))

    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_post_from_another_site_is_refused(resolved):
    browser = Client(enforce_csrf_checks=True)
    path = page_path(Rating.objects.get())
    browser.get(path)

    response = browser.post(
        path,
        {"score": "bad", "csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
        headers={"Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403
    assert Rating.objects.get().rated_at is None


def test_post_without_the_csrf_token_is_refused(resolved):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(page_path(Rating.objects.get()), {"score": "bad"})

    assert response.status_code == 403
    assert Rating.objects.get().rated_at is None


def test_page_is_in_english_under_en(resolved, client):
    rating = Rating.objects.get()

    response = client.get(f"/en{page_path(rating)}")

    content = response.content.decode()
    assert "Were you satisfied with our help?" in content
    assert ">Satisfied</label>" in content


def test_resolving_again_within_the_link_days_asks_no_second_time(resolved):
    reopen(resolved)

    resolve(resolved)

    assert Rating.objects.count() == 1
    assert resolved.emails.filter(kind=OutboundEmail.Kind.RATING).count() == 1


def test_resolving_again_after_the_link_days_asks_again(resolved, settings):
    Rating.objects.update(created_at=timezone.now() - timedelta(days=settings.RATING_LINK_DAYS))
    reopen(resolved)

    resolve(resolved)

    assert Rating.objects.count() == 2
    assert resolved.emails.filter(kind=OutboundEmail.Kind.RATING).count() == 2


def test_closing_a_resolved_ticket_asks_nothing_more(resolved):
    ticket_change(ticket=resolved, actor=None, status=Ticket.Status.CLOSED)

    assert Rating.objects.count() == 1


# The agents' group is migration data, which a transactional test's flush removes.
@pytest.mark.django_db
def test_rating_shows_on_the_ticket_in_the_admin(resolved, client, agent_client):
    client.post(page_path(Rating.objects.get()), {"score": "bad", "comment": "<i>Treg</i>"})

    response = agent_client.get(change_url(resolved))

    content = response.content.decode()
    assert "Ikke fornøyd" in content
    assert "&lt;i&gt;Treg&lt;/i&gt;" in content


# The agents' group is migration data, which a transactional test's flush removes.
@pytest.mark.django_db
def test_erasure_empties_the_comment_and_the_link(resolved, client, agent):
    rating = Rating.objects.get()
    path = page_path(rating)
    client.post(path, {"score": "good", "comment": "Kari fra Bergen"})

    tickets_erase(emails=["kari@example.no"], actor=agent)

    rating.refresh_from_db()
    assert (rating.score, rating.comment, rating.key) == ("good", "", "")
    assert client.get(path).status_code == 404


@pytest.mark.browser
def test_link_opened_in_a_browser_records_only_when_the_customer_sends(resolved, page, live_server):
    rating = Rating.objects.get()

    page.goto(page_path(rating, "ikke-fornoyd"))

    expect(page.get_by_label("Ikke fornøyd")).to_be_checked()
    assert Rating.objects.get().rated_at is None
    page.get_by_label("Fornøyd", exact=True).check()
    page.get_by_label("Noe du vil fortelle oss? (valgfritt)").fill("Godt svar")
    page.get_by_role("button", name="Send svar").click()
    expect(page.locator("[data-rating-recorded]")).to_be_visible()
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == ("good", "Godt svar")
