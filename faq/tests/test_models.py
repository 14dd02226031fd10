import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from faq.models import FaqEntry
from faq.services import faq_entry_vote


def vote(entry, *, is_helpful=True):
    faq_entry_vote(entry_id=entry.pk, is_helpful=is_helpful, previous=None)


@pytest.mark.django_db
def test_full_save_of_a_stale_entry_keeps_votes_cast_since_it_was_read(make_entry):
    stale = FaqEntry.objects.get(pk=make_entry().pk)
    vote(stale)
    vote(stale, is_helpful=False)

    stale.answer = "Redigert i admin."
    stale.save()

    entry = FaqEntry.objects.get(pk=stale.pk)
    assert (entry.answer, entry.helpful_count, entry.not_helpful_count) == (
        "Redigert i admin.",
        1,
        1,
    )


@pytest.mark.django_db
def test_admin_save_of_an_entry_read_before_a_vote_keeps_the_vote(make_entry, admin_user):
    stale = FaqEntry.objects.get(pk=make_entry().pk)
    vote(stale)
    request = RequestFactory().post("/")
    request.user = admin_user
    stale.question = "Nytt spørsmål?"

    site.get_model_admin(FaqEntry).save_model(request, stale, form=None, change=True)

    assert FaqEntry.objects.get(pk=stale.pk).helpful_count == 1
