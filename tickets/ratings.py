"""The customer's rating of a resolved ticket: asked once per resolution, by an email with two
links (satisfied, not satisfied) to a page that records nothing until its form is sent.

A ticket resolved again within RATING_LINK_DAYS of its last request is not asked again: the
customer who was just asked (or answered) is not asked twice for the same case in a fortnight.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tickets.models import Rating, Ticket

RATING_TOKEN_SALT = "tickets.rating"
# The links' query parameter: which answer the page shows chosen.
CHOICE_PARAMETER = "valg"
CHOICES = {"fornoyd": Rating.Score.GOOD, "ikke-fornoyd": Rating.Score.BAD}
COMMENT_MAX = 2000


def rating_new(ticket: Ticket) -> Rating | None:
    """The rating (unsaved) to ask for a ticket just resolved; None when the customer was asked
    within RATING_LINK_DAYS, or cannot be asked (no address, anonymised)."""
    if not ticket.email or ticket.anonymised_at is not None:
        return None
    now = timezone.now()
    quiet = now - timedelta(days=settings.RATING_LINK_DAYS)
    if Rating.objects.filter(ticket=ticket, created_at__gte=quiet).exists():
        return None
    rating = Rating(ticket=ticket, expires_at=now + timedelta(days=settings.RATING_LINK_DAYS))
    return rating


def rating_token(rating: Rating) -> str:
    """<id>.<key>.<signature>: the signature refuses a made-up token without the database, the
    key (compared in constant time) a token of a rating whose key was emptied."""
    return _signer().sign(f"{rating.pk}.{rating.key}")


def rating_url(rating: Rating, choice: str) -> str:
    path = reverse("tickets:rating", kwargs={"token": rating_token(rating)})
    return f"{settings.SITE_URL}{path}?{CHOICE_PARAMETER}={choice}"


def rating_of_token(token: str) -> Rating | None:
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    pk, _, key = value.partition(".")
    if not pk.isdigit() or not key:
        return None
    rating = Rating.objects.filter(pk=int(pk)).select_related("ticket").first()
    if rating is None or not rating.key or rating.ticket.anonymised_at is not None:
        return None
    return rating if signing.constant_time_compare(rating.key, key) else None


def rating_record(*, rating: Rating, score: str, comment: str) -> bool:
    """Record the answer, once, before the link expires: one UPDATE that only an unanswered,
    unexpired rating matches, so two posts at once record one. False when it was too late."""
    now = timezone.now()
    recorded = Rating.objects.filter(pk=rating.pk, rated_at=None, expires_at__gt=now).update(
        score=score, comment=comment[:COMMENT_MAX], rated_at=now
    )
    if recorded:
        rating.score, rating.comment, rating.rated_at = score, comment[:COMMENT_MAX], now
    return bool(recorded)


def _signer() -> signing.Signer:
    return signing.Signer(salt=RATING_TOKEN_SALT, sep=".")
