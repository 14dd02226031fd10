"""The agents' statistics page (admin): a period's tickets in and solved, response and
resolution times (median, 90th percentile), response targets met and the customers' ratings, in
total, per day or week, by channel and by agent; SVG charts drawn here, and a CSV download.

Read from the daily figures (tickets.daily) and their roll-ups in three queries, whatever the
number of tickets and the period's length: the charts from the days' totals (one row a day),
the channels and agents from the months the period covers whole and its days before and after
them. Wired in TicketAdmin.get_urls().
"""

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from html import escape

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.daily import BUCKET_EDGES, month_after, percentile
from tickets.desk import is_agent
from tickets.models import (
    FIGURE_COLUMNS,
    FIGURE_COUNTS,
    FIRST_RESPONSE_BUCKETS,
    RESOLUTION_BUCKETS,
    Message,
    TicketDay,
    TicketDayTotal,
    TicketMonth,
)

DEFAULT_DAYS = 30
# Two years of days is what the page is built for (and measured at); longer asks too much.
MAX_DAYS = 731
CHART_WIDTH, CHART_HEIGHT = 720, 220
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 56, 24, 10
# At most this many labels under a chart's bars, so they never overlap.
LABELS_SHOWN = 12


def statistics_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "statistics/",
            wrap(partial(statistics_view, model_admin)),
            name="tickets_ticket_statistics",
        ),
    ]


class PeriodForm(forms.Form):
    fra = forms.DateField(label=gettext_lazy("From"), required=False)
    til = forms.DateField(label=gettext_lazy("To"), required=False)
    per = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[("day", gettext_lazy("day")), ("week", gettext_lazy("week"))],
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        end = cleaned.get("til") or today
        start = cleaned.get("fra") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The period must start before it ends."), code="order")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS}, code="long"
            )
        cleaned.update(fra=start, til=end, per=cleaned.get("per") or "day")
        return cleaned


@dataclass
class Sums:
    received: int = 0
    solved: int = 0
    first_responses: int = 0
    first_responses_in_time: int = 0
    solved_in_time: int = 0
    rated_good: int = 0
    rated_bad: int = 0
    first_response_buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKET_EDGES))
    resolution_buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKET_EDGES))

    @classmethod
    def of(cls, row: dict) -> "Sums":
        """A row of sums from the database (None where no day counted)."""
        return cls(
            **{name: row[name] or 0 for name in FIGURE_COUNTS},
            first_response_buckets=[row[name] or 0 for name in FIRST_RESPONSE_BUCKETS],
            resolution_buckets=[row[name] or 0 for name in RESOLUTION_BUCKETS],
        )

    def add(self, other: "Sums") -> None:
        for name in FIGURE_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("first_response_buckets", "resolution_buckets"):
            mine = getattr(self, name)
            for index, count in enumerate(getattr(other, name)):
                mine[index] += count

    @property
    def first_response_median(self):
        return percentile(self.first_response_buckets, 0.5)

    @property
    def first_response_p90(self):
        return percentile(self.first_response_buckets, 0.9)

    @property
    def resolution_median(self):
        return percentile(self.resolution_buckets, 0.5)

    @property
    def resolution_p90(self):
        return percentile(self.resolution_buckets, 0.9)

    @property
    def first_response_attainment(self):
        return _share(self.first_responses_in_time, self.first_responses)

    @property
    def resolution_attainment(self):
        return _share(self.solved_in_time, self.solved)

    @property
    def satisfaction(self):
        return _share(self.rated_good, self.rated_good + self.rated_bad)


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


@dataclass
class Report:
    start: date
    end: date
    step: str
    total: Sums
    periods: list[tuple[date, Sums]]
    channels: list[tuple[str, Sums]]
    agents: list[tuple[str, Sums]]


def statistics_report(*, start: date, end: date, step: str) -> Report:
    """The period's figures: per day from the days' totals (at most 731 rows), per channel and
    agent summed by the database from the months inside the period and the days around them
    (one query, a few dozen rows), and the agents' names."""
    total = Sums()
    periods: dict[date, Sums] = defaultdict(Sums)
    days = TicketDayTotal.objects.filter(day__gte=start, day__lte=end).order_by()
    for row in days.values("day", *FIGURE_COLUMNS):
        day = row["day"]
        key = day - timedelta(days=day.weekday()) if step == "week" else day
        counted = Sums.of(row)
        periods[key].add(counted)
        total.add(counted)
    channels: dict[str, Sums] = defaultdict(Sums)
    agents: dict[int | None, Sums] = defaultdict(Sums)
    for row in _by_channel_and_agent(start, end):
        counted = Sums.of(row)
        channels[row["channel"]].add(counted)
        agents[row["agent_id"]].add(counted)
    first = start - timedelta(days=start.weekday()) if step == "week" else start
    every = timedelta(days=7 if step == "week" else 1)
    keys = []
    while first <= end:
        keys.append(first)
        first += every
    user_model = get_user_model()
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in user_model.objects.filter(pk__in=[pk for pk in agents if pk is not None])
    }
    channel_labels = dict(Message.Channel.choices)
    return Report(
        start=start,
        end=end,
        step=step,
        total=total,
        periods=[(key, periods.get(key) or Sums()) for key in keys],
        channels=sorted(
            ((str(channel_labels.get(c, c or _("Unknown"))), s) for c, s in channels.items()),
            key=lambda item: -item[1].received,
        ),
        agents=sorted(
            (
                (names.get(pk, _("Unassigned")) if pk else _("Unassigned"), s)
                for pk, s in agents.items()
            ),
            key=lambda item: item[0].lower(),
        ),
    )


def _by_channel_and_agent(start: date, end: date):
    """Sums per channel and agent over start..end, in one query: the calendar months wholly
    inside from their roll-ups, the days before and after them (all of them when there is no
    whole month) from the daily rows. A channel and agent may come twice, once from each."""
    first = start if start.day == 1 else month_after(start)
    after = month_after(end) if (end + timedelta(days=1)).day == 1 else end.replace(day=1)
    if after <= first:
        # No whole month: every day from the daily rows.
        first = after = end + timedelta(days=1)
    sums = {name: Sum(name) for name in FIGURE_COLUMNS}
    months = (
        TicketMonth.objects.filter(month__gte=first, month__lt=after)
        .order_by()
        .values("channel", "agent_id")
        .annotate(**sums)
    )
    days = (
        TicketDay.objects.filter(Q(day__gte=start, day__lt=first) | Q(day__gte=after, day__lte=end))
        .order_by()
        .values("channel", "agent_id")
        .annotate(**sums)
    )
    return months.union(days, all=True)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return _("%(minutes)d min") % {"minutes": round(seconds / 60)}
    if seconds < 48 * 3600:
        return _("%(hours).1f h") % {"hours": seconds / 3600}
    return _("%(days).1f d") % {"days": seconds / 86400}


def share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


def bar_chart(*, labels: list[str], series: list[tuple[str, str, list[float]]], unit) -> dict:
    """Bars side by side per label, one colour (CSS class) per series, scaled to the largest;
    for the template's <svg>: no script, no inline style. Coordinates are written here as
    plain decimals: the template would localise them (58,21 in Norwegian, which SVG does not
    read). The bars, up to 731 × 2 a chart, are one piece of markup: a template loop over
    them was most of the page's time for a long period per day."""
    largest = max([value for *_names, values in series for value in values] + [0]) or 1
    plot_width = CHART_WIDTH - CHART_LEFT
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    slot = plot_width / max(len(labels), 1)
    bar = max(slot * 0.8 / len(series), 1)
    bars = []
    rows = []
    for index, label in enumerate(labels):
        cells = []
        for position, (name, css, values) in enumerate(series):
            height = plot_height * values[index] / largest
            text = unit(values[index])
            bars.append(
                (
                    css,
                    _coordinate(CHART_LEFT + index * slot + slot * 0.1 + position * bar),
                    _coordinate(CHART_TOP + plot_height - height),
                    _coordinate(bar),
                    _coordinate(height),
                    f"{label} · {name}: {text}",
                )
            )
            cells.append(text)
        rows.append((label, cells))
    every = max(len(labels) // LABELS_SHOWN + (len(labels) % LABELS_SHOWN > 0), 1)
    ticks = [
        {"x": _coordinate(CHART_LEFT + index * slot + slot / 2), "text": label}
        for index, label in enumerate(labels)
        if index % every == 0
    ]
    grid = [
        {
            "y": _coordinate(CHART_TOP + plot_height * (1 - part / 4)),
            "text": unit(largest * part / 4),
        }
        for part in range(5)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "axis_x": CHART_LEFT - 4,
        "right": CHART_WIDTH,
        "label_y": CHART_HEIGHT - 6,
        # Joined without format_html, which costs more than the rest of the chart: the CSS
        # class and the numbers are ours, the title (an agent-typed name never is one) escaped.
        "bars": mark_safe(
            "".join(
                f'<rect class="{css}" x="{x}" y="{y}" width="{width}" height="{height}">'
                f"<title>{escape(title)}</title></rect>"
                for css, x, y, width, height, title in bars
            )
        ),
        # The same figures as a table, one row a label (the bars' titles reach no screen
        # reader): joined like the bars, and escaped, the label and the texts too.
        "rows": mark_safe(
            "".join(
                f'<tr><th scope="row">{escape(label)}</th>'
                + "".join(f"<td>{escape(text)}</td>" for text in cells)
                + "</tr>"
                for label, cells in rows
            )
        ),
        "ticks": ticks,
        "grid": grid,
        "legend": [{"name": name, "css": css} for name, css, _values in series],
    }


def _coordinate(value: float) -> str:
    return f"{value:.2f}"


def _charts(report: Report) -> list[dict]:
    labels = [
        date_format(key, "d.m.")
        if report.step == "day"
        else _("w. %(week)d") % {"week": key.isocalendar()[1]}
        for key, _sums in report.periods
    ]
    sums = [s for _key, s in report.periods]

    def count(value):
        return f"{value:.0f}"

    def hours(value):
        return duration_text(value)

    return [
        {
            "title": _("Tickets in and solved"),
            "chart": bar_chart(
                labels=labels,
                series=[
                    (_("In"), "stats-in", [s.received for s in sums]),
                    (_("Solved"), "stats-solved", [s.solved for s in sums]),
                ],
                unit=count,
            ),
        },
        {
            "title": _("First response time (calendar time)"),
            "chart": bar_chart(
                labels=labels,
                series=[
                    (_("Median"), "stats-median", [s.first_response_median or 0 for s in sums]),
                    (_("90th percentile"), "stats-p90", [s.first_response_p90 or 0 for s in sums]),
                ],
                unit=hours,
            ),
        },
        {
            "title": _("Resolution time (calendar time)"),
            "chart": bar_chart(
                labels=labels,
                series=[
                    (_("Median"), "stats-median", [s.resolution_median or 0 for s in sums]),
                    (_("90th percentile"), "stats-p90", [s.resolution_p90 or 0 for s in sums]),
                ],
                unit=hours,
            ),
        },
    ]


def _table_row(name: str, sums: Sums) -> dict:
    return {
        "name": name,
        "received": sums.received,
        "solved": sums.solved,
        "first_response_median": duration_text(sums.first_response_median),
        "first_response_p90": duration_text(sums.first_response_p90),
        "resolution_median": duration_text(sums.resolution_median),
        "resolution_p90": duration_text(sums.resolution_p90),
        "first_response_attainment": share_text(sums.first_response_attainment),
        "resolution_attainment": share_text(sums.resolution_attainment),
        "satisfaction": share_text(sums.satisfaction),
        "rated": sums.rated_good + sums.rated_bad,
    }


def statistics_view(model_admin, request):
    # Agents (and superusers); an editor is staff too, but not on the desk.
    if not (request.user.is_superuser or is_agent(request.user)):
        raise PermissionDenied
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        cleaned = form.cleaned_data
        start, end, step = cleaned["fra"], cleaned["til"], cleaned["per"]
    else:
        end = timezone.localdate()
        start, step = end - timedelta(days=DEFAULT_DAYS - 1), "day"
    report = statistics_report(start=start, end=end, step=step)
    if request.GET.get("format") == "csv" and not form.errors:
        return _csv_response(report)
    query = request.GET.copy()
    query["format"] = "csv"
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Statistics"),
        "opts": model_admin.model._meta,
        "form": form,
        "start": start,
        "end": end,
        "step": step,
        "total": _table_row(_("All"), report.total),
        "channels": [_table_row(name, sums) for name, sums in report.channels],
        "agents": [_table_row(name, sums) for name, sums in report.agents],
        "charts": _charts(report),
        "csv_query": query.urlencode(),
    }
    response = TemplateResponse(request, "admin/tickets/ticket/statistics.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


CSV_COLUMNS = [
    ("received", gettext_lazy("in")),
    ("solved", gettext_lazy("solved")),
    ("first_response_median", gettext_lazy("first response, median (s)")),
    ("first_response_p90", gettext_lazy("first response, 90th percentile (s)")),
    ("resolution_median", gettext_lazy("resolution, median (s)")),
    ("resolution_p90", gettext_lazy("resolution, 90th percentile (s)")),
    ("first_response_attainment", gettext_lazy("first response target met (%)")),
    ("resolution_attainment", gettext_lazy("resolution target met (%)")),
    ("rated_good", gettext_lazy("satisfied")),
    ("rated_bad", gettext_lazy("not satisfied")),
]


def _csv_response(report: Report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="statistikk-{report.start:%Y-%m-%d}-{report.end:%Y-%m-%d}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow([_("group"), _("name"), *(str(label) for _name, label in CSV_COLUMNS)])
    rows = [(_("total"), _("All"), report.total)]
    step = {"day": _("day"), "week": _("week")}[report.step]
    rows += [(step, f"{key:%Y-%m-%d}", sums) for key, sums in report.periods]
    rows += [(_("channel"), name, sums) for name, sums in report.channels]
    rows += [(_("agent"), name, sums) for name, sums in report.agents]
    for group, name, sums in rows:
        values = [_csv_value(getattr(sums, column)) for column, _label in CSV_COLUMNS]
        writer.writerow([group, _csv_safe(name), *values])
    return response


def _csv_value(value) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def _csv_safe(text: str) -> str:
    # An agent's name is typed by people: a spreadsheet must not read it as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
