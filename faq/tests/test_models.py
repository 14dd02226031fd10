import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from faq.models import FaqEntry, HelpPage, markdown_render
from faq.rendering import html_to_text
from faq.services import faq_entry_vote
from faq.suggestions import suggestions_sent_anyway, suggestions_shown


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


def test_image_from_elsewhere_is_dropped_keeping_its_alt_text(db):
    html = markdown_render("Se ![sporingsbilde](https://tracker.example/pixel.png) her")

    assert "<img" not in html
    assert "sporingsbilde" in html


def test_uploaded_image_in_media_is_kept(db, settings, tmp_path):
    (tmp_path / "media" / "faq" / "uploads").mkdir(parents=True)
    (tmp_path / "media" / "faq" / "uploads" / "bilde.png").write_bytes(b"x")

    html = markdown_render("![Skjerm](/media/faq/uploads/bilde.png)")

    assert '<img alt="Skjerm" loading="lazy" src="/media/faq/uploads/bilde.png">' in html


def test_media_path_outside_the_uploads_is_not_trusted(db):
    html = markdown_render("![x](/media/../settings.py)")

    assert "<img" not in html


def test_alt_text_of_a_missing_image_stays_where_the_image_was(db):
    html = markdown_render("x ![](/a.png) y ![Bilde B](/b.png) z *em* w")

    assert html_to_text(html) == "x  y Bilde B z em w"


@pytest.mark.django_db
def test_full_save_of_a_stale_entry_and_page_keeps_suggestions_counted_since(make_entry):
    stale = FaqEntry.objects.get(pk=make_entry().pk)
    stale_page = HelpPage.objects.get()
    suggestions_shown(entry_ids=[stale.pk], is_new_form=True)
    suggestions_sent_anyway(entry_ids=[stale.pk])

    stale.save()
    stale_page.save()

    entry, page = FaqEntry.objects.get(pk=stale.pk), HelpPage.objects.get()
    assert (entry.suggested_count, entry.sent_anyway_count) == (1, 1)
    assert (page.suggested_forms_count, page.sent_anyway_forms_count) == (1, 1)


@pytest.mark.django_db
def test_bulk_update_of_entries_renews_their_page_version(make_entry):
    entry = make_entry()
    before = HelpPage.objects.get().content_version

    FaqEntry.objects.filter(pk=entry.pk).update(is_published=False)

    assert HelpPage.objects.get().content_version != before


@pytest.mark.django_db
def test_counter_update_of_entries_keeps_their_page_version(make_entry):
    entry = make_entry()
    before = HelpPage.objects.get().content_version

    suggestions_shown(entry_ids=[entry.pk], is_new_form=True)

    assert HelpPage.objects.get().content_version == before


def test_saving_an_entry_keeps_a_version_of_its_text(make_entry):
    entry = make_entry(answer="Første svar.")

    entry.answer = "Andre svar."
    entry.save()

    assert list(entry.history.values_list("answer", flat=True)) == ["Andre svar.", "Første svar."]


def test_counters_make_no_version_and_are_not_in_the_versions(make_entry):
    entry = make_entry()

    vote(entry)
    vote(entry, is_helpful=False)
    suggestions_shown(entry_ids=[entry.pk], is_new_form=True)
    suggestions_sent_anyway(entry_ids=[entry.pk])

    assert entry.history.count() == 1
    versioned = {field.name for field in entry.history.model._meta.fields}
    assert versioned.isdisjoint(FaqEntry.COUNTERS)
