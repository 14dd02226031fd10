"""Saved replies (macros) and FAQ answers for the reply box: our own small placeholder
substitution, and the search the picker asks as the agent types."""

import re
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from faq.models import FaqEntry
from tickets.models import SavedReply, Ticket

# {{ kunde.fornavn }}: a name of ours, never a template. Agent-written text never meets the
# template engine; each placeholder is replaced once, by text, so a customer whose name is
# "{{ sak.referanse }}" stays exactly that.
PLACEHOLDER = re.compile(r"\{\{\s*([a-z]+\.[a-z]+)\s*\}\}")
PLACEHOLDERS = [
    "kunde.fornavn",
    "kunde.navn",
    "kunde.epost",
    "sak.referanse",
    "sak.lenke",
    "agent.fornavn",
    "agent.navn",
]
# The picker's list: enough to choose from while typing, small enough to render each time;
# the FAQ answers always get their few places, however many saved replies match.
RESULTS = 8
FAQ_RESULTS = 4


@dataclass(frozen=True)
class Insertable:
    """One choice of the picker: its kind ("macro" or "faq"), id, name and the rendered text."""

    kind: str
    id: int
    name: str
    text: str
    status: str = ""
    priority: str = ""


def macro_placeholders_unknown(body: str) -> list[str]:
    """The placeholders in `body` we would not replace, in order, once each."""
    found = dict.fromkeys(PLACEHOLDER.findall(body))
    # A {{ without a known name, written in any other way ({{kunde}}, {{ Kunde.Navn }}).
    found |= dict.fromkeys(
        f"{{{{{match}}}}}"
        for match in re.findall(r"\{\{([^}]*)\}\}", body)
        if not PLACEHOLDER.fullmatch(f"{{{{{match}}}}}")
    )
    return [name for name in found if name not in PLACEHOLDERS]


def _values(*, ticket: Ticket, agent) -> dict[str, str]:
    agent_name = agent.get_full_name() or agent.get_username()
    link = ticket.page_url()
    return {
        "kunde.fornavn": ticket.name.split()[0] if ticket.name.split() else "",
        "kunde.navn": ticket.name,
        "kunde.epost": ticket.email,
        "sak.referanse": ticket.reference,
        "sak.lenke": settings.SITE_URL + link if link else "",
        "agent.fornavn": agent.first_name or agent_name,
        "agent.navn": agent_name,
    }


def macro_render(body: str, *, ticket: Ticket, agent) -> str:
    """`body` with each known placeholder replaced by the ticket's and the agent's value; an
    unknown one is left as written, for the agent to see before sending."""
    values = _values(ticket=ticket, agent=agent)
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), body)


def _words_in(field: str, words: list[str]) -> Q:
    query = Q()
    for word in words:
        query &= Q(**{f"{field}__icontains": word})
    return query


def insertables_search(*, query: str, ticket: Ticket, agent) -> list[Insertable]:
    """The saved replies, then the published FAQ answers of the help page, whose names hold
    every word typed (a few letters are enough), each rendered for this ticket; in two queries."""
    words = query.split()[:5]
    replies = SavedReply.objects.filter(_words_in("name", words)).order_by("name")[:RESULTS]
    found = [
        Insertable(
            kind="macro",
            id=reply.pk,
            name=reply.name,
            text=macro_render(reply.body, ticket=ticket, agent=agent),
            status=reply.status,
            priority=reply.priority,
        )
        for reply in replies
    ]
    if not words:
        return found
    entries = (
        FaqEntry.objects.filter(
            _words_in("question", words),
            is_published=True,
            is_archived=False,
            block__page__slug=settings.HELP_PAGE_SLUG,
        )
        .only("pk", "question", "answer", "anchor")
        .order_by("position", "pk")[:FAQ_RESULTS]
    )
    for entry in entries:
        link = settings.SITE_URL + entry.get_absolute_url()
        text = f"{entry.answer.strip()}\n\n{_('Read more: %(link)s') % {'link': link}}"
        found.append(Insertable(kind="faq", id=entry.pk, name=entry.question, text=text))
    return found


def insertable_dicts(found: list[Insertable]) -> list[dict]:
    return [asdict(item) for item in found]
