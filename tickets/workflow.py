"""Which status a ticket may go to from which: the one table ticket_change() obeys."""

from django.utils.translation import gettext as _

from tickets.models import Ticket

Status = Ticket.Status

# Nothing goes back to "new": once someone has looked at a ticket it is open or further on.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


class TransitionRefused(ValueError):
    """A status change the table does not allow; its message says so in the agents' words."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        super().__init__(
            _("A ticket cannot go from “%(old)s” to “%(new)s”.")
            % {"old": Status(old).label, "new": Status(new).label if new in Status else new}
        )


def transition_allowed(old: str, new: str) -> bool:
    return old == new or new in TRANSITIONS.get(old, frozenset())


def transition_check(old: str, new: str) -> None:
    if not transition_allowed(old, new):
        raise TransitionRefused(old, new)


def statuses_from(old: str) -> list[tuple[str, str]]:
    """The status choices a ticket in `old` can be given: itself and where it may go."""
    return [(value, label) for value, label in Status.choices if transition_allowed(old, value)]
