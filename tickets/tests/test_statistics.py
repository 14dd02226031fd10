import csv
import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tickets.daily import BUCKET_EDGES, ticket_days_rebuild
from tickets.models import (
    AGENT_GROUP,
    FIGURE_COLUMNS,
    Message,
    Rating,
    Ticket,
    TicketDay,
    TicketMonth,
)
from tickets.references import reference_new
from tickets.statistics import Sums, statistics_report

URL = reverse("admin:tickets_ticket_statistics")


def tickets_bulk(count: int, *, agents=(), days: int = 10) -> None:
    """`count` tickets over the last `days` days, answered within hours, most resolved, some
    rated: inserted in bulk, as the figures do not care how tickets came about."""
    now = timezone.now()
    channels = [Message.Channel.FORM, Message.Channel.EMAIL, Message.Channel.PAGE]
    rows = []
    for number in range(count):
        created = now - timedelta(days=days) + timedelta(days=days) * number / count
        responded = created + timedelta(minutes=10 + number % 300)
        resolved = responded + timedelta(hours=1 + number % 40) if number % 4 else None
        rows.append(
            Ticket(
                reference=reference_new(),
                name="Kari",
                email="kari@example.no",
                message="Hei",
                status=Ticket.Status.RESOLVED if resolved else Ticket.Status.OPEN,
                assignee=agents[number % len(agents)] if agents else None,
                first_response_at=min(responded, now),
                resolved_at=resolved and min(resolved, now),
                first_response_due=created + timedelta(hours=2),
                resolution_due=created + timedelta(hours=20),
            )
        )
    tickets = Ticket.objects.bulk_create(rows)
    # created_at is set on insert (auto_now_add): spread over the days afterwards.
    for ticket, row in zip(tickets, range(count), strict=True):
        ticket.created_at = now - timedelta(days=days) + timedelta(days=days) * row / count
    Ticket.objects.bulk_update(tickets, ["created_at"], batch_size=500)
    Message.objects.bulk_create(
        Message(ticket=t, kind=Message.Kind.CUSTOMER, channel=channels[n % 3], body="Hei")
        for n, t in enumerate(tickets)
    )
    Rating.objects.bulk_create(
        Rating(
            ticket=t,
            expires_at=now + timedelta(days=14),
            score="good" if n % 3 else "bad",
            rated_at=t.resolved_at,
        )
        for n, t in enumerate(tickets)
        if t.resolved_at
    )
    ticket_days_rebuild()


@pytest.fixture
def agents(django_user_model, agent):
    group = Group.objects.get(name=AGENT_GROUP)
    others = [
        django_user_model.objects.create_user(
            f"agent{n}", f"agent{n}@example.no", first_name=f"Agent {n}", is_staff=True
        )
        for n in range(3)
    ]
    for user in others:
        user.groups.add(group)
    return [agent, *others]


def test_editor_never_sees_the_statistics(editor_client):
    assert editor_client.get(URL).status_code == 403


def test_agent_sees_the_statistics_with_charts(agent_client, agents):
    tickets_bulk(40, agents=agents)

    response = agent_client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("data-stats-chart") == 3
    assert 'class="stats-in"' in content
    assert "Etter kanal" in content
    assert "Etter saksbehandler" in content
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


def test_percentile_labels_are_norwegian(agent_client, agents):
    # A "%" in {% translate %} is looked up doubled: a catalogue entry with one showed English.
    tickets_bulk(10, agents=agents)

    content = agent_client.get(URL).content.decode()

    assert "Første svar, median / 90 %" in content
    assert "Løsning, median / 90 %" in content
    assert "Første svar, 90 %" in content
    assert "90 %%" not in content
    assert "First response" not in content


@pytest.mark.parametrize("step", ["day", "week"])
def test_each_chart_has_a_table_with_a_row_per_period_and_the_charts_figures(
    agent_client, agents, step
):
    tickets_bulk(40, agents=agents, days=30)
    end = timezone.localdate()
    start = end - timedelta(days=27)
    periods = (
        28 if step == "day" else len({(start + timedelta(n)).isocalendar()[:2] for n in range(28)})
    )

    content = agent_client.get(URL, {"fra": start, "til": end, "per": step}).content.decode()

    sections = re.findall(r'<section class="stats-chart".*?</section>', content, re.S)
    assert len(sections) == 3
    for number, section in enumerate(sections, start=1):
        assert f'aria-describedby="stats-chart-{number}-table"' in section
        assert f'<summary id="stats-chart-{number}-table">Vis som tabell</summary>' in section
        assert "<caption>" in section
        names = re.findall(r'<th scope="col">([^<]+)</th>', section)
        assert names[0] == ("Dag" if step == "day" else "Uke")
        # The bars' titles ("label · series: figure"), regrouped per label, are the rows.
        charted: dict[str, list[str]] = {}
        for label, name, figure in re.findall(r"<title>(.+?) · (.+?): (.+?)</title>", section):
            charted.setdefault(label, []).append(f"{name}={figure}")
        rows = re.findall(r'<tr><th scope="row">(.+?)</th>(.*?)</tr>', section)
        tabled = {
            label: [
                f"{name}={figure}"
                for name, figure in zip(
                    names[1:], re.findall(r"<td>(.*?)</td>", cells), strict=True
                )
            ]
            for label, cells in rows
        }
        assert len(rows) == periods
        assert tabled == charted
    assert re.search(r"<td>[1-9]\d*</td>", sections[0])


def test_chart_coordinates_are_plain_decimals_in_norwegian(agent_client, agents):
    tickets_bulk(40, agents=agents)

    content = agent_client.get(URL).content.decode()

    # Localised (58,21), SVG reads no bar at all.
    assert re.search(r'<rect class="stats-in" x="\d+\.\d\d" y="\d+\.\d\d" width="\d', content)
    assert not re.search(r'\s(x|y|x1|x2|y1|y2|width|height)="-?\d+,', content)


def test_page_says_times_are_calendar_time_and_targets_business_hours(agent_client, agents):
    tickets_bulk(10, agents=agents)

    content = agent_client.get(URL).content.decode()

    assert "Tid til første svar (kalendertid)" in content
    assert "Tid til løsning (kalendertid)" in content
    assert "Svartid og løsningstid er kalendertid fra saken kom inn" in content
    assert "regnes i åpningstid" in content
    assert "teller for den som hadde saken da den ble løst" in content


def test_page_has_no_inline_script_or_style(agent_client, agents):
    tickets_bulk(10, agents=agents)

    content = agent_client.get(URL).content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)", content)
    assert not re.search(r"\sstyle=", content)
    assert "<style" not in content


@pytest.mark.parametrize("count", [10, 1000])
def test_query_count_does_not_grow_with_the_tickets(
    agent_client, agents, django_assert_num_queries, count
):
    tickets_bulk(count, agents=agents)

    # Session, user, the agents' group check, the sums per day and per channel and agent, the
    # agents' names, and the permissions (user, group) of the admin's menu.
    with django_assert_num_queries(8):
        response = agent_client.get(URL)

    assert response.status_code == 200


def test_totals_are_the_period_sums(agent_client, agents):
    tickets_bulk(60, agents=agents)
    received = sum(TicketDay.objects.values_list("received", flat=True))

    response = agent_client.get(URL)

    assert re.search(rf'data-total="received">{received}<', response.content.decode())
    assert received == 60


def test_median_and_90th_percentile_come_from_the_buckets(agent_client, agent, make_ticket_row):
    now = timezone.now()
    # Nine answered within the first five minutes, one after a day and a half.
    for minutes in [2] * 9 + [36 * 60]:
        ticket = make_ticket_row(name="Kari", email="kari@example.no", message="Hei")
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(minutes=minutes), first_response_at=now
        )
    ticket_days_rebuild()

    response = agent_client.get(URL)

    shown = re.search(r'data-total="first_response">([^<]*)<', response.content.decode())[1]
    median, p90 = (part.strip() for part in shown.split("/"))
    assert median == f"{round(BUCKET_EDGES[1] * (5 / 9) / 60)} min"
    assert p90 == "5 min"


FIGURES = [
    "received",
    "solved",
    "first_response_median",
    "first_response_p90",
    "resolution_median",
    "resolution_p90",
    "first_response_attainment",
    "resolution_attainment",
    "satisfaction",
]


def figures(sums: Sums) -> dict:
    return {name: getattr(sums, name) for name in FIGURES}


def from_days(start, end, **filters) -> dict:
    """The figures summed from the daily rows alone, as the page read them before roll-ups."""
    rows = TicketDay.objects.filter(day__gte=start, day__lte=end, **filters)
    return figures(Sums.of(rows.aggregate(**{name: Sum(name) for name in FIGURE_COLUMNS})))


# Days ago: mid-month to mid-month over whole months, within one month, all of it.
@pytest.mark.parametrize("first, last", [(95, 3), (75, 20), (40, 36), (100, 0)])
def test_roll_ups_give_the_figures_of_the_daily_rows(db, agents, first, last):
    tickets_bulk(800, agents=agents, days=100)
    today = timezone.localdate()
    start, end = today - timedelta(days=first), today - timedelta(days=last)

    report = statistics_report(start=start, end=end, step="week")

    assert figures(report.total) == from_days(start, end)
    assert report.total.received > 0
    for key, sums in report.periods:
        assert figures(sums) == from_days(max(key, start), min(key + timedelta(days=6), end))
    names = {agent.get_full_name() or agent.get_username(): agent for agent in agents}
    assert len(report.agents) == len(agents)
    for name, sums in report.agents:
        assert figures(sums) == from_days(start, end, agent=names[name])
    labels = {str(label): channel for channel, label in Message.Channel.choices}
    assert len(report.channels) == 3
    for label, sums in report.channels:
        assert figures(sums) == from_days(start, end, channel=labels[label])


def test_long_period_reads_whole_months_from_their_roll_ups(db, agents):
    tickets_bulk(300, agents=agents, days=100)
    today = timezone.localdate()
    start, end = today - timedelta(days=95), today - timedelta(days=3)
    # A month's roll-up the daily rows do not hold: read, so the months are what is summed.
    inside = TicketMonth.objects.filter(month__gt=start, month__lt=end.replace(day=1)).first()
    TicketMonth.objects.filter(pk=inside.pk).update(received=inside.received + 1000)

    report = statistics_report(start=start, end=end, step="day")

    channels_received = sum(sums.received for _name, sums in report.channels)
    assert channels_received == from_days(start, end)["received"] + 1000


def test_period_outside_the_tickets_shows_nothing(agent_client, agents):
    tickets_bulk(20, agents=agents)
    long_ago = timezone.localdate() - timedelta(days=400)

    response = agent_client.get(URL, {"fra": long_ago, "til": long_ago + timedelta(days=5)})

    assert re.search(r'data-total="received">0<', response.content.decode())


def test_period_ending_before_it_starts_is_refused_with_a_message(agent_client):
    today = timezone.localdate()

    response = agent_client.get(URL, {"fra": today, "til": today - timedelta(days=3)})

    assert response.status_code == 200
    assert "Perioden må starte før den slutter." in response.content.decode()


def test_week_steps_label_the_weeks(agent_client, agents):
    tickets_bulk(20, agents=agents, days=30)
    start = timezone.localdate() - timedelta(days=27)

    response = agent_client.get(URL, {"fra": start, "til": timezone.localdate(), "per": "week"})

    assert f"u. {start.isocalendar()[1]}" in response.content.decode()


def test_csv_download_has_totals_days_channels_and_agents(agent_client, agents):
    tickets_bulk(30, agents=agents)

    response = agent_client.get(URL, {"format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="statistikk-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, total = rows[0], rows[1]
    assert header[:4] == ["gruppe", "navn", "inn", "løst"]
    assert total[:3] == ["totalt", "Alle", "30"]
    groups = {row[0] for row in rows[2:]}
    assert groups == {"dag", "kanal", "saksbehandler"}
    assert {row[1] for row in rows if row[0] == "saksbehandler"} >= {"Agent 0", "Agent 1"}


def test_csv_makes_a_formula_looking_name_text(agent_client, agent, make_ticket_row):
    agent.first_name = "=HYPERLINK(1)"
    agent.save()
    make_ticket_row(name="Kari", email="kari@example.no", message="Hei", assignee=agent)
    ticket_days_rebuild()

    response = agent_client.get(URL, {"format": "csv"})

    assert "'=HYPERLINK(1)" in response.content.decode()


@pytest.fixture
def agent_group_again():
    # Migration data, which the flush after a transactional test removes.
    Group.objects.get_or_create(name=AGENT_GROUP)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_reads_the_statistics_and_changes_the_period(
    agent_group_again, page, live_server, agents
):
    tickets_bulk(50, agents=agents, days=20)
    # Logged in as the login form would (its page has tests of its own), without the slow hash.
    client = Client()
    client.force_login(agents[0])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )

    page.goto(URL)

    expect(page.locator("[data-stats-chart]")).to_have_count(3)
    expect(page.locator('[data-total="received"]')).to_have_text(re.compile(r"^\d+$"))
    page.get_by_label("Per").select_option("week")
    page.get_by_role("button", name="Vis").click()

    expect(page).to_have_url(re.compile(r"per=week"))
    expect(page.locator("[data-stats-chart]").first.locator("rect").first).to_be_attached()
    with page.expect_download() as download:
        page.locator("[data-stats-csv]").click()
    assert download.value.suggested_filename.startswith("statistikk-")
