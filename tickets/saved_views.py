"""Saved views of the ticket changelist: an agent's filter and sort under a name, their own or
shared with the team, shown as tabs above the list."""

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tickets.models import SavedView

VIEWS_SHOWN = 30
# The changelist's own words: its search, its sort, and the filters' parameters, as
# TicketAdmin.list_filter names them (saved_view_parameters reads them from there).
BASE_PARAMETERS = {"q", "o"}


class SavedViewRefused(ValueError):
    """Not saved or not deleted: the message says why, in the agents' words."""


def saved_view_parameters(model_admin) -> set[str]:
    """The query parameters the ticket changelist understands: search, sort and each filter's."""
    names = set(BASE_PARAMETERS)
    for item in model_admin.list_filter:
        if isinstance(item, str):
            # A field's filter: ?status__exact=open (choices) or ?assignee__id__exact=3.
            names |= {f"{item}__exact", f"{item}__isnull", f"{item}__id__exact"}
        else:
            names.add(item.parameter_name)
    return names


def saved_view_query(query: str, *, allowed: set[str]) -> str:
    """The changelist query string `query` holds, with only the `allowed` parameters, one value
    each, in a fixed order: the same view saved twice compares equal, and whatever it is
    appended to stays our changelist."""
    given = QueryDict(query.lstrip("?"))
    kept = [(name, given[name]) for name in sorted(given) if name in allowed and given[name]]
    return urlencode(kept)


def saved_views_for(*, user) -> QuerySet:
    """The user's own views and the team's shared ones, in name order."""
    return (
        SavedView.objects.filter(Q(owner=user) | Q(is_shared=True))
        .order_by("name", "pk")
        .only("pk", "name", "query", "is_shared", "owner_id")[:VIEWS_SHOWN]
    )


@transaction.atomic
def saved_view_save(
    *, owner, name: str, query: str, is_shared: bool, allowed: set[str]
) -> SavedView:
    """Save the changelist's filter and sort as `owner`'s view; saving under a name of theirs
    again replaces what it shows."""
    name = " ".join(name.split())
    if not name:
        raise SavedViewRefused(_("Give the view a name."))
    limit = SavedView._meta.get_field("name").max_length
    if len(name) > limit:
        raise SavedViewRefused(
            _("A view's name can be at most %(limit)d characters.") % {"limit": limit}
        )
    view, _created = SavedView.objects.select_for_update().update_or_create(
        owner=owner,
        name=name,
        defaults={"query": saved_view_query(query, allowed=allowed), "is_shared": is_shared},
    )
    return view


def saved_view_delete(*, view_id: int, user) -> bool:
    """Delete the user's own view; a colleague's shared one is never theirs to delete."""
    deleted, _ = SavedView.objects.filter(pk=view_id, owner=user).delete()
    return bool(deleted)
