import io
import json
import re
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from conftest import SEED_PATH
from faq.models import FaqEntry, FaqFeedback, SearchQueryDay

HELP_URL = reverse("faq:help_page")
CHANGELIST = reverse("admin:faq_faqentry_changelist")
UPLOAD = reverse("admin:faq_image_upload")
PREVIEW = reverse("admin:faq_markdownify")


def png_upload(name="bilde.png", size=(8, 6), content_type="image/png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def test_editor_group_holds_exactly_the_faq_permissions(db):
    group = Group.objects.get(name="Redaktør")

    assert set(group.permissions.all()) == set(
        Permission.objects.filter(content_type__app_label="faq")
    )
    assert group.permissions.filter(codename="change_faqentry").exists()
    assert group.permissions.filter(codename="change_faqblock").exists()


def test_editor_can_work_the_faq_but_not_users(editor_client, seed):
    entry = FaqEntry.objects.first()

    changelist = editor_client.get(CHANGELIST)
    change = editor_client.get(reverse("admin:faq_faqentry_change", args=[entry.pk]))
    users = editor_client.get(reverse("admin:auth_user_changelist"))

    assert changelist.status_code == change.status_code == 200
    assert users.status_code == 403


def test_answer_is_edited_in_the_markdown_editor_with_preview(editor_client, seed):
    entry = FaqEntry.objects.first()

    response = editor_client.get(reverse("admin:faq_faqentry_change", args=[entry.pk]))

    assert 'class="markdownx"' in response.text
    assert "markdownx-preview" in response.text
    assert "markdownx/js/markdownx" in response.text


def test_changelist_shows_feedback_and_a_view_on_site_link(editor_client, seed):
    FaqEntry.objects.filter(question="Hvor er varene mine?").update(
        helpful_count=3, not_helpful_count=1
    )
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")

    changelist = editor_client.get(CHANGELIST)
    change = editor_client.get(reverse("admin:faq_faqentry_change", args=[entry.pk]))

    assert "75 %" in changelist.text
    assert "3 syntes det var nyttig · 1 syntes ikke det" in change.text
    content_type = ContentType.objects.get_for_model(FaqEntry)
    assert reverse("admin:view_on_site", args=[content_type.pk, entry.pk]) in change.text


def test_changelist_search_finds_answers(editor_client, seed):
    response = editor_client.get(CHANGELIST, {"q": "databehandleravtale"})

    assert "Hvordan ivaretar Sekvens mitt personvern?" in response.text
    assert "Hvor er varene mine?" not in response.text


@pytest.mark.parametrize("entries", [10, 100])
def test_changelist_query_count_does_not_grow_with_entries(
    editor_client, make_entry, django_assert_num_queries, entries
):
    for _ in range(entries):
        make_entry()

    # The list's 12, and the weeks of the deflection report with their tickets (2).
    with django_assert_num_queries(14):
        response = editor_client.get(CHANGELIST)

    assert response.status_code == 200


def test_reorder_through_the_admin_shows_on_the_public_page(editor_client, client, seed):
    first, second = FaqEntry.objects.order_by("position")[:2]
    client.get(HELP_URL)

    response = editor_client.post(
        reverse("admin:faq_faqentry_sortable_update"),
        json.dumps({"updatedItems": [[first.pk, second.position], [second.pk, first.position]]}),
        content_type="application/json",
    )

    page = client.get(HELP_URL).text
    assert response.status_code == 200
    assert page.index(second.question) < page.index(first.question)


def test_hide_action_takes_entries_off_the_public_page(editor_client, client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    client.get(HELP_URL)

    editor_client.post(CHANGELIST, {"action": "hide", "_selected_action": [entry.pk]})

    assert "Hvor er varene mine?" not in client.get(HELP_URL).text
    entry.refresh_from_db()
    assert not entry.is_published


def test_publish_action_brings_entries_back(editor_client, client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=entry.pk).update(is_published=False)

    editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [entry.pk]})

    assert "Hvor er varene mine?" in client.get(HELP_URL).text


def test_changelist_leaves_archived_entries_out_unless_filtered_for(editor_client, seed):
    FaqEntry.objects.filter(question="Hvor er varene mine?").update(is_archived=True)

    default = editor_client.get(CHANGELIST)
    archived = editor_client.get(CHANGELIST, {"archived": "yes"})

    assert "Hvor er varene mine?" not in default.text
    assert "Hvor lang leveringstid er det?" in default.text
    assert "Hvor er varene mine?" in archived.text
    assert "Hvor lang leveringstid er det?" not in archived.text


def test_unarchive_action_puts_an_entry_back_on_the_public_page(editor_client, client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=entry.pk).update(is_archived=True)
    client.get(HELP_URL)

    editor_client.post(
        f"{CHANGELIST}?archived=yes", {"action": "unarchive", "_selected_action": [entry.pk]}
    )

    entry.refresh_from_db()
    assert not entry.is_archived
    assert "Hvor er varene mine?" in client.get(HELP_URL).text


def test_editor_uploads_an_image_into_an_answer(editor_client, settings):
    response = editor_client.post(
        UPLOAD, {"image": png_upload()}, headers={"x-requested-with": "XMLHttpRequest"}
    )

    code = response.json()["image_code"]
    assert response.status_code == 200
    assert code.startswith("![](/media/faq/uploads/") and code.endswith(".png)")
    name = code[len("![](/media/") : -1]
    with Image.open(settings.MEDIA_ROOT / name) as stored:
        assert stored.format == "PNG"


def test_file_that_is_not_an_image_is_refused(editor_client, settings):
    fake = SimpleUploadedFile("bilde.png", b"<svg onload=alert(1)>", content_type="image/png")

    response = editor_client.post(
        UPLOAD, {"image": fake}, headers={"x-requested-with": "XMLHttpRequest"}
    )

    assert response.status_code == 400
    assert "image" in response.json()
    assert not (settings.MEDIA_ROOT / "faq" / "uploads").exists()


def test_image_over_the_size_limit_is_refused(editor_client, settings):
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 100
    import markdownx.forms

    markdownx.forms.MARKDOWNX_UPLOAD_MAX_SIZE = 100
    try:
        response = editor_client.post(
            UPLOAD,
            {"image": png_upload(size=(400, 400))},
            headers={"x-requested-with": "XMLHttpRequest"},
        )
    finally:
        markdownx.forms.MARKDOWNX_UPLOAD_MAX_SIZE = settings.FAQ_IMAGE_MAX_BYTES

    assert response.status_code == 400


def test_upload_needs_a_staff_login(client, db):
    response = client.post(UPLOAD, {"image": png_upload()})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_upload_needs_faq_permission(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ansatt", is_staff=True))

    response = client.post(UPLOAD, {"image": png_upload()})

    assert response.status_code == 403


def test_preview_renders_through_the_same_sanitiser(editor_client):
    response = editor_client.post(PREVIEW, {"content": "**fet** <script>alert(1)</script>"})

    assert response.text == "<p><strong>fet</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_contact_form_page_opens_with_its_sortable_fields(admin_client, seed):
    from faq.models import HelpFormBlock

    block = HelpFormBlock.objects.get()

    response = admin_client.get(reverse("admin:faq_helpformblock_change", args=[block.pk]))

    assert response.status_code == 200
    assert "Maria Holte" in response.text


@pytest.mark.parametrize("url", [CHANGELIST, reverse("admin:faq_helpformblock_changelist")])
def test_every_admin_script_of_the_sortable_pages_exists(admin_client, seed, url):
    from django.contrib.staticfiles import finders

    page = admin_client.get(url).text

    scripts = re.findall(r'<script src="/static/([^"]+)"', page)
    assert scripts
    assert [s for s in scripts if not finders.find(s)] == []


def test_changelist_sorts_by_helpful_share_with_entries_nobody_rated(admin_client, seed):
    response = admin_client.get(CHANGELIST, {"o": "6"})

    assert response.status_code == 200
    assert 'class="sortable column-helpful_share sorted ascending"' in response.text


def change_form_data(response) -> dict:
    """What the browser would send back from an admin change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.extend(formset.forms)
        data |= {
            f"{formset.management_form.prefix}-{name}": value
            for name, value in formset.management_form.initial.items()
        }
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if hasattr(value, "pk"):
                value = value.pk
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif value is not None:
                data[form.add_prefix(name)] = value
    return data


@pytest.mark.parametrize(
    ("success_path", "error"),
    [
        ("/kontakt", "Nettstedet bruker allerede /kontakt/"),
        ("admin/", "Nettstedet bruker allerede /admin/"),
        ("/takk/for/meldingen", "ett ord"),
    ],
)
def test_success_path_the_site_cannot_serve_is_refused_in_the_admin(
    admin_client, seed, success_path, error
):
    from faq.models import HelpFormBlock

    block = HelpFormBlock.objects.get()
    url = reverse("admin:faq_helpformblock_change", args=[block.pk])
    data = change_form_data(admin_client.get(url)) | {"success_path": success_path}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert error in str(response.context["adminform"].form.errors["success_path"])
    assert HelpFormBlock.objects.get().success_path == "/suksess"


@pytest.mark.parametrize("success_path", ["/takk", "takk/", "/takk/", "takk"])
def test_success_path_is_taken_with_or_without_slashes(admin_client, seed, success_path):
    from faq.models import HelpFormBlock

    block = HelpFormBlock.objects.get()
    url = reverse("admin:faq_helpformblock_change", args=[block.pk])
    data = change_form_data(admin_client.get(url)) | {"success_path": success_path}

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert HelpFormBlock.objects.get().success_path == success_path


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims width × height pixels, as a decompression bomb does."""
    real = io.BytesIO()
    Image.new("1", (8, 8)).save(real, "PNG")
    data = bytearray(real.getvalue())
    # The IHDR chunk starts at byte 8: length, type, then width and height, then its CRC.
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


# Pillow warns when it opens a header of 89 to 179 megapixels; the form then refuses it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(8000, 5001), (10_000, 10_000), (20_000, 20_000)])
def test_image_of_too_many_pixels_is_refused_before_it_is_decoded(editor_client, settings, size):
    upload = SimpleUploadedFile("stor.png", png_claiming(*size), content_type="image/png")

    response = editor_client.post(
        UPLOAD, {"image": upload}, headers={"x-requested-with": "XMLHttpRequest"}
    )

    assert response.status_code == 400
    assert "Bildet har mer enn 40 000 000 piksler" in response.json()["image"][0].replace(
        "\xa0", " "
    )
    assert not (settings.MEDIA_ROOT / "faq" / "uploads").exists()


def test_pixel_limit_is_a_setting(editor_client, settings):
    settings.FAQ_IMAGE_MAX_PIXELS = 100

    response = editor_client.post(
        UPLOAD, {"image": png_upload(size=(11, 10))}, headers={"x-requested-with": "XMLHttpRequest"}
    )

    assert response.status_code == 400
    assert "Bildet har mer enn 100 piksler" in response.json()["image"][0]


@pytest.mark.parametrize("image", [True, False])
def test_upload_not_sent_by_the_editor_is_a_bad_request(editor_client, settings, image):
    response = editor_client.post(UPLOAD, {"image": png_upload()} if image else {})

    assert response.status_code == 400
    assert not (settings.MEDIA_ROOT / "faq" / "uploads").exists()


@pytest.mark.parametrize("src", ["/media//etc/passwd", "https://example.com/x.png", "/media/../x"])
def test_editor_is_told_when_an_answer_names_an_image_we_do_not_hold(editor_client, seed, src):
    entry = FaqEntry.objects.first()
    url = reverse("admin:faq_faqentry_change", args=[entry.pk])
    data = change_form_data(editor_client.get(url)) | {"answer": f"Se her: ![skjerm]({src})"}

    response = editor_client.post(url, data, follow=True)

    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        f"Bildet «{src}» har vi ikke (importert eller lastet opp her), så siden utelater det "
        "og viser alternativteksten."
    ]
    entry.refresh_from_db()
    assert "<img" not in entry.answer_html and "skjerm" in entry.answer_html


def history_url(entry) -> str:
    return reverse("admin:faq_faqentry_history", args=[entry.pk])


def entry_edit(client, entry, answer: str) -> None:
    url = reverse("admin:faq_faqentry_change", args=[entry.pk])
    response = client.post(url, change_form_data(client.get(url)) | {"answer": answer})
    assert response.status_code == 302


def test_editor_sees_the_versions_of_an_answer_and_what_changed(editor_client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    entry_edit(editor_client, entry, "Varene kommer i morgen.")

    response = editor_client.get(history_url(entry))

    assert response.status_code == 200
    changes = response.context["page_obj"][0].history_delta_changes
    assert [(c["field"], c["new"]) for c in changes] == [("Svar", "Varene kommer i morgen.")]
    assert "redaktor" in response.text
    assert f"import from {SEED_PATH.name}" in response.text


def test_editor_restores_a_version_and_the_page_shows_it(editor_client, client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    original = entry.answer
    entry_edit(editor_client, entry, "Varene kommer i morgen.")
    assert "Varene kommer i morgen" in client.get(HELP_URL).text  # cached with the edit
    first = entry.history.earliest()
    url = reverse("admin:faq_faqentry_simple_history", args=[entry.pk, first.history_id])
    form = editor_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {name: (value.pk if hasattr(value, "pk") else value) for name, value in data.items()}
    data["is_published"] = "on" if data["is_published"] else ""

    response = editor_client.post(url, data)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.answer == original
    assert "Varene kommer i morgen" not in client.get(HELP_URL).text
    assert entry.history.first().history_user.username == "redaktor"


REVIEW = reverse("admin:faq_faqfeedback_changelist")


def feedback_make(entry, **overrides):
    return FaqFeedback.objects.create(entry=entry, **{"reasons": ["unclear"]} | overrides)


def test_review_queue_shows_the_entry_reasons_and_text_as_text(editor_client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    feedback_make(entry, reasons=["unclear", "wrong"], text="<script>alert(1)</script> & mer")

    response = editor_client.get(REVIEW)

    assert response.status_code == 200
    assert "Til gjennomgang" in response.text
    assert "Svaret var uklart, Svaret var feil eller utdatert" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; mer" in response.text
    assert "<script>alert(1)" not in response.text
    assert reverse("admin:faq_faqentry_change", args=[entry.pk]) in response.text


def test_done_feedback_leaves_the_queue(editor_client, seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    done, kept = feedback_make(entry, text="Gjort"), feedback_make(entry, text="Igjen")

    response = editor_client.post(
        REVIEW, {"action": "done", "_selected_action": [done.pk]}, follow=True
    )

    assert "1 tilbakemelding merket som ferdig." in response.text
    assert [f.text for f in response.context["cl"].result_list] == ["Igjen"]
    assert FaqFeedback.objects.get(pk=done.pk).done_at is not None
    assert FaqFeedback.objects.get(pk=kept.pk).done_at is None
    assert [
        f.text for f in editor_client.get(REVIEW, {"done": "yes"}).context["cl"].result_list
    ] == ["Gjort"]


def test_review_queue_flags_unhelpful_and_long_unchanged_entries(editor_client, seed, settings):
    settings.FAQ_REVIEW_HELPFUL_SHARE, settings.FAQ_REVIEW_MIN_VOTES = 50, 10
    unhelpful = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=unhelpful.pk).update(helpful_count=4, not_helpful_count=6)
    few_votes = FaqEntry.objects.get(question="Hvordan logger jeg meg inn?")
    FaqEntry.objects.filter(pk=few_votes.pk).update(helpful_count=0, not_helpful_count=9)
    stale = FaqEntry.objects.exclude(pk__in=[unhelpful.pk, few_votes.pk]).first()
    FaqEntry.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=366))

    response = editor_client.get(REVIEW)

    assert [item.entry for item in response.context["flagged"]] == [unhelpful, stale]
    assert "Bare 40 % av 10 stemmer syntes det var nyttig." in response.text
    assert "Ikke endret siden" in response.text


@pytest.mark.parametrize("rows", [10, 100])
def test_review_queue_query_count_does_not_grow_with_rows(
    editor_client, seed, django_assert_num_queries, rows
):
    entries = list(FaqEntry.objects.all())
    FaqFeedback.objects.bulk_create(
        FaqFeedback(entry=entries[n % len(entries)], reasons=["other"], text=f"{n}")
        for n in range(rows)
    )

    # The same for 10 rows as for 100: the flagged entries are one query, the rows another.
    with django_assert_num_queries(8):
        response = editor_client.get(REVIEW)

    assert response.status_code == 200


SEARCHES = reverse("admin:faq_searchqueryday_changelist")
DRAFT = reverse("admin:faq_searchqueryday_draft")


def searched(query, *, days_ago=0, language="nb", **counts):
    day = timezone.localdate() - timedelta(days=days_ago)
    return SearchQueryDay.objects.create(query=query, day=day, language=language, **counts)


def section(response, heading) -> list[str]:
    rows = dict(response.context["sections"])[heading]
    return [row["query"] for row in rows]


def test_search_report_lists_top_empty_unopened_and_ticketed_queries(editor_client, seed):
    searched("passord", searches=9, opened=4)
    searched("passord", days_ago=1, searches=3, opened=1, language="en")
    searched("kake", searches=5, no_results=5)
    searched("levering", searches=4)
    searched("faktura", searches=2, opened=1, ticketed=2)
    searched("gammelt", days_ago=40, searches=99, no_results=99)

    response = editor_client.get(SEARCHES)

    assert response.status_code == 200
    assert section(response, "Mest søkt") == ["passord", "kake", "levering", "faktura"]
    assert section(response, "Fant ingenting") == ["kake"]
    assert section(response, "Ingen åpnet et svar") == ["levering"]
    assert section(response, "Endte i kontaktskjemaet") == ["faktura"]
    assert dict(response.context["sections"])["Mest søkt"][0]["total_searches"] == 12


def test_search_report_shows_the_chosen_period_and_language(editor_client, seed):
    searched("passord", searches=9)
    searched("password", searches=2, language="en")
    searched("gammelt", days_ago=40, searches=3)
    start = (timezone.localdate() - timedelta(days=45)).isoformat()
    end = (timezone.localdate() - timedelta(days=35)).isoformat()

    old = editor_client.get(SEARCHES, {"start": start, "end": end})
    english = editor_client.get(SEARCHES, {"language": "en"})

    assert section(old, "Mest søkt") == ["gammelt"]
    assert section(english, "Mest søkt") == ["password"]


def test_search_report_shows_a_hostile_query_as_text(editor_client, seed):
    searched("<img src=x onerror=alert(1)>", searches=1)

    response = editor_client.get(SEARCHES)

    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    assert "<img src=x" not in response.text


@pytest.mark.parametrize("queries", [10, 100])
def test_search_report_query_count_does_not_grow_with_queries(
    editor_client, seed, django_assert_num_queries, queries
):
    SearchQueryDay.objects.bulk_create(
        SearchQueryDay(
            query=f"spørsmål {n}",
            day=timezone.localdate() - timedelta(days=n % 20),
            language="nb",
            searches=n + 1,
            no_results=n % 2,
            ticketed=n % 3,
        )
        for n in range(queries)
    )

    # Session, user, the user's and the group's permissions, then the report's four lists.
    with django_assert_num_queries(8):
        response = editor_client.get(SEARCHES)

    assert response.status_code == 200


def test_make_an_faq_entry_from_a_search_opens_a_hidden_draft(editor_client, client, seed):
    searched("kan jeg betale med vipps", searches=7, no_results=7)
    last = FaqEntry.objects.order_by("position").last()

    report = editor_client.get(SEARCHES)
    response = editor_client.post(DRAFT, {"query": "kan jeg betale med vipps"})

    assert "Lag et FAQ-svar av dette" in report.text
    entry = FaqEntry.objects.get(question="Kan jeg betale med vipps")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:faq_faqentry_change", args=[entry.pk])
    assert (entry.is_published, entry.answer, entry.block_id) == (False, "", last.block_id)
    assert entry.position > last.position
    assert "Kan jeg betale med vipps" not in client.get(HELP_URL).text


def test_draft_from_a_search_needs_a_post_and_the_right_to_add_entries(
    editor_client, agent_client, seed
):
    assert editor_client.get(DRAFT).status_code == 405
    assert agent_client.post(DRAFT, {"query": "vipps"}).status_code == 403
    assert not FaqEntry.objects.filter(question="Vipps").exists()
