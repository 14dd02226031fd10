"""The "needs action" queue: tickets waiting on us, the one nearest its target first."""

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tickets.models import Message, Ticket
from tickets.sla import RUNNING, next_due

# The tabs, in the order shown; "all" when none is asked for.
TABS = ["mine", "unassigned", "all"]
TAB_DEFAULT = "all"
ORDERING = [F("next_due").asc(nulls_last=True), "created_at", "pk"]


def queue_tab(value: str | None) -> str:
    return value if value in TABS else TAB_DEFAULT


def _in_tab(*, user, tab: str) -> Q:
    if tab == "mine":
        return Q(assignee=user)
    if tab == "unassigned":
        return Q(assignee=None)
    return Q()


def queue_tickets(*, user, tab: str) -> QuerySet:
    """The tab's tickets in queue order, each with `next_due` and `waiting_since` (the first
    message from the customer since our last reply: how long they have been waiting)."""
    last_reply = (
        Message.objects.filter(ticket=OuterRef("pk"), kind=Message.Kind.PUBLIC)
        .order_by()
        .values("ticket")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    waiting_since = (
        Message.objects.filter(
            ticket=OuterRef("pk"),
            kind=Message.Kind.CUSTOMER,
            automatic="",
            created_at__gt=Coalesce(OuterRef("last_reply_at"), OuterRef("created_at")),
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    return (
        Ticket.objects.filter(status__in=RUNNING)
        .filter(_in_tab(user=user, tab=tab))
        .annotate(next_due=next_due, last_reply_at=Subquery(last_reply))
        .annotate(waiting_since=Coalesce(Subquery(waiting_since), F("created_at")))
        .select_related("assignee")
        .order_by(*ORDERING)
    )


def queue_counts(*, user) -> dict[str, int]:
    """How many tickets each tab holds now, in one query."""
    return Ticket.objects.filter(status__in=RUNNING).aggregate(
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count("pk", filter=Q(assignee=None)),
        all=Count("pk"),
    )


def queue_next(*, user, tab: str, ticket: Ticket) -> Ticket | None:
    """The ticket after `ticket` in the tab's order (where it stands now, or would stand if it
    had left the queue), or None at the end."""
    due = (
        ticket.resolution_due if ticket.first_response_at is not None else ticket.first_response_due
    )
    later = Q(created_at__gt=ticket.created_at) | Q(created_at=ticket.created_at, pk__gt=ticket.pk)
    if due is None:
        after = Q(next_due__isnull=True) & later
    else:
        after = Q(next_due__gt=due) | Q(next_due__isnull=True) | (Q(next_due=due) & later)
    tickets = Ticket.objects.filter(status__in=RUNNING).filter(_in_tab(user=user, tab=tab))
    tickets = tickets.annotate(next_due=next_due).exclude(pk=ticket.pk)
    return tickets.filter(after).order_by(*ORDERING).only("pk").first()
