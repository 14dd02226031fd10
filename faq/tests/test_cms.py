import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from PIL import Image

from conftest import SEED_PATH
from faq.cms import CmsFileError, help_page_export, help_page_import
from faq.models import Block, FaqEntry, FaqImage, FormField, HelpPage


def front_matter(path: Path) -> dict:
    return yaml.safe_load(
        path.read_text(encoding="utf-8").split("\n---\n")[0].removeprefix("---\n")
    )


def database_snapshot() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (HelpPage, Block, FaqEntry, FormField, FaqImage)
    ]


def write(tmp_path, text: str, name="side.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def page_file(tmp_path, *blocks: tuple[str, str, list[str]], name="side.md") -> Path:
    """A CMS file of blocks given as (type, title, questions or labels)."""
    data = {
        "templateKey": "Page",
        "title": "Side",
        "blocks": [
            {"type": kind, "title": title, "items": [{"title": item} for item in items]}
            for kind, title, items in blocks
        ],
    }
    return write(tmp_path, f"---\n{yaml.safe_dump(data, allow_unicode=True)}---\n", name=name)


FRAKT = ("FAQ", "Frakt", ["Hvor er pakken?", "Hva koster frakt?"])
KONTO = ("FAQ", "Konto", ["Glemt passord?"])


def seed_with(tmp_path, old: str, new: str) -> Path:
    text = SEED_PATH.read_text(encoding="utf-8")
    assert old in text
    return write(tmp_path, text.replace(old, new, 1), name=SEED_PATH.name)


def test_seed_import_stores_its_eleven_entries_in_order_with_every_key(seed):
    data = front_matter(SEED_PATH)
    faq_block, form_block = data["blocks"]

    entries = list(FaqEntry.objects.order_by("position"))
    fields = list(FormField.objects.order_by("position"))

    assert len(entries) == 11
    assert [(e.question, e.answer) for e in entries] == [
        (item["title"], item["description"]) for item in faq_block["items"]
    ]
    assert all(e.is_published for e in entries)
    assert (seed.template_key, seed.title, seed.introduction, seed.is_hidden) == (
        "Page",
        data["title"],
        data["introduction"],
        False,
    )
    faq = Block.objects.get(kind=Block.Kind.FAQ)
    assert (faq.title, faq.introduction) == (faq_block["title"], faq_block["introduction"])
    form = Block.objects.get(kind=Block.Kind.HELP_FORM)
    assert (
        form.title,
        form.introduction,
        form.button_text,
        form.is_full_width,
        form.success_path,
    ) == (
        "Står du fast?",
        "Send oss melding, så kan vi hjelpe deg.",
        "Send melding",
        True,
        "/suksess",
    )
    assert [(f.label, f.placeholder, f.kind) for f in fields] == [
        ("Navn", "Maria Holte", FormField.Kind.TEXT),
        ("E-post", "post@din-epost.no", FormField.Kind.EMAIL),
        ("Hva trenger du help til?", "Fortel oss hva problem er. ", FormField.Kind.TEXTAREA),
    ]


def test_second_import_of_the_same_file_changes_nothing(seed):
    before = database_snapshot()

    result = help_page_import(path=SEED_PATH)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 17)
    assert str(result) == "0 created, 0 updated, 17 unchanged"
    assert database_snapshot() == before


def test_first_import_counts_every_stored_item_as_created(db):
    result = help_page_import(path=SEED_PATH)

    assert (result.created, result.updated, result.unchanged) == (17, 0, 0)


def test_export_of_the_imported_seed_equals_its_front_matter(seed, tmp_path):
    exported = write(tmp_path, help_page_export(slug=seed.slug))

    assert front_matter(exported) == front_matter(SEED_PATH)


def test_export_keeps_the_text_after_the_front_matter(db, tmp_path):
    source = write(tmp_path, "---\ntemplateKey: Page\ntitle: T\nblocks: []\n---\n\nTekst under.\n")
    help_page_import(path=source)

    assert help_page_export(slug="side").endswith("---\n\nTekst under.\n")


def test_admin_edits_survive_export_and_reimport(seed, tmp_path):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    entry.answer = "Se **sporingslenken** i e-posten."
    entry.is_published = False
    entry.save()
    seed.title = "Hjelp"
    seed.save()
    exported = write(tmp_path, help_page_export(slug=seed.slug), name=SEED_PATH.name)
    before = database_snapshot()

    result = help_page_import(path=exported)

    assert result.created == result.updated == 0
    assert database_snapshot() == before


def test_reimport_overwrites_an_edited_answer_with_the_file(seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    original = entry.answer
    entry.answer = "Endret i admin."
    entry.save()

    result = help_page_import(path=SEED_PATH)

    assert result.updated == 1
    assert FaqEntry.objects.get(pk=entry.pk).answer == original


def test_reimport_archives_an_entry_the_file_no_longer_has_and_keeps_its_votes(seed, make_entry):
    extra = make_entry(block=Block.objects.get(kind=Block.Kind.FAQ), question="Nytt i admin?")
    FaqEntry.objects.filter(pk=extra.pk).update(helpful_count=4)

    result = help_page_import(path=SEED_PATH)

    extra.refresh_from_db()
    assert result.archived == 1
    assert str(result) == "0 created, 0 updated, 17 unchanged, 1 archived"
    assert (extra.is_archived, extra.is_published, extra.helpful_count) == (True, True, 4)
    assert extra.position > FaqEntry.objects.exclude(pk=extra.pk).order_by("-position")[0].position


def test_reimport_after_a_question_is_removed_from_the_file_archives_it(seed, tmp_path):
    path = seed_with(
        tmp_path, "        title: Hvor er varene mine?\n", "        title: Hvor er pakken?\n"
    )

    result = help_page_import(path=path)

    assert (result.created, result.archived) == (1, 1)
    assert FaqEntry.objects.get(question="Hvor er varene mine?").is_archived
    assert not FaqEntry.objects.get(question="Hvor er pakken?").is_archived


def test_export_after_a_reimport_equals_the_file_without_archived_entries(seed, tmp_path):
    path = seed_with(
        tmp_path, "        title: Hvor er varene mine?\n", "        title: Hvor er pakken?\n"
    )
    help_page_import(path=path)

    exported = write(tmp_path, help_page_export(slug=seed.slug), name="ut.md")

    assert front_matter(exported) == front_matter(path)


def test_archived_entry_coming_back_in_the_file_is_unarchived_with_its_votes(seed, tmp_path):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=entry.pk).update(helpful_count=5, not_helpful_count=2)
    help_page_import(
        path=seed_with(
            tmp_path, "        title: Hvor er varene mine?\n", "        title: Hvor er pakken?\n"
        )
    )

    result = help_page_import(path=SEED_PATH)

    entry.refresh_from_db()
    assert (result.updated, result.archived) == (1, 1)
    assert (entry.is_archived, entry.helpful_count, entry.not_helpful_count) == (False, 5, 2)
    assert FaqEntry.objects.get(question="Hvor er pakken?").is_archived


def test_import_edit_export_import_keeps_archived_entries_and_their_votes(seed, tmp_path):
    help_page_import(
        path=seed_with(
            tmp_path, "        title: Hvor er varene mine?\n", "        title: Hvor er pakken?\n"
        )
    )
    archived = FaqEntry.objects.get(question="Hvor er varene mine?")
    FaqEntry.objects.filter(pk=archived.pk).update(helpful_count=3)
    edited = FaqEntry.objects.get(question="Hvor er pakken?")
    edited.answer = "Se sporingslenken."
    edited.save()
    exported = write(tmp_path, help_page_export(slug=seed.slug), name=SEED_PATH.name)
    before = database_snapshot()

    result = help_page_import(path=exported)

    assert (result.created, result.updated, result.archived) == (0, 0, 0)
    assert database_snapshot() == before
    archived.refresh_from_db()
    assert (archived.is_archived, archived.helpful_count) == (True, 3)


def test_an_entry_marked_hide_in_the_file_is_stored_unpublished(db, tmp_path):
    path = write(
        tmp_path,
        "---\ntemplateKey: Page\ntitle: T\nblocks:\n  - type: FAQ\n    title: F\n    items:\n"
        "      - title: Skjult?\n        description: Ja.\n        hide: true\n---\n",
    )

    help_page_import(path=path)

    assert not FaqEntry.objects.get(question="Skjult?").is_published
    assert front_matter(write(tmp_path, help_page_export(slug="side"), "ut.md"))["blocks"][0][
        "items"
    ] == [{"description": "Ja.", "title": "Skjult?", "hide": True}]


MALFORMED = {
    "not YAML": ("title: Hjelp & Support\n", "title: [Hjelp\n", "not valid YAML", 4),
    "missing key": ("title: Hjelp & Support\n", "", "the key 'title' is missing", None),
    "wrong type": ("hide: false\n", "hide: nei takk\n", "hide: must be true or false", 7),
    "unknown block type": ("type: FAQ\n", "type: Karusell\n", "unknown block type 'Karusell'", 85),
    "item without title": (
        "        title: Hvor er varene mine?\n",
        "",
        "blocks.0.items.7: the key 'title' is missing",
        59,
    ),
    "unknown key": ("hide: false\n", "hide: false\nfarge: blå\n", "farge: unknown key", 8),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_file_names_the_fault_and_changes_nothing(seed, tmp_path, case):
    old, new, message, line = MALFORMED[case]
    path = seed_with(tmp_path, old, new)
    FaqEntry.objects.update(answer="Redigert")
    before = database_snapshot()

    with pytest.raises(CmsFileError) as raised:
        help_page_import(path=path)

    assert str(raised.value).startswith(str(path))
    if message:
        assert message in str(raised.value)
    if line:
        assert f"line {line}:" in str(raised.value)
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("templateKey: Page\ntitle: T\n", "no front matter"),
        ("---\n- a\n- b\n---\n", "front matter: must be a mapping of keys, not a list"),
        ("---\ntemplateKey: Page\ntitle: T\n", "no front matter"),
        ("", "no front matter"),
        ("---\ntemplateKey: Page\ntitle: T\nblocks: nei\n---\n", "line 4: blocks: must be a list"),
        (
            "---\ntemplateKey: Page\ntitle: T\nblocks:\n"
            "  - type: FAQ\n    title: F\n    items: 3\n---\n",
            "line 7: blocks.0.items: must be a list, not int",
        ),
        ("---\ntemplateKey: Page\ntitle: T\nblocks:\n  - type: Quiz\n---\n", "unknown block type"),
    ],
)
def test_file_with_unusable_front_matter_is_refused_and_nothing_stored(db, tmp_path, text, message):
    with pytest.raises(CmsFileError, match=message):
        help_page_import(path=write(tmp_path, text))

    assert not HelpPage.objects.exists()


def test_file_that_is_not_utf8_is_refused(db, tmp_path):
    path = tmp_path / "side.md"
    path.write_bytes("---\ntitle: Bl\xe5b\xe6r\n---\n".encode("latin-1"))

    with pytest.raises(CmsFileError, match="not UTF-8"):
        help_page_import(path=path)


def test_too_long_question_is_refused_before_anything_is_written(db, tmp_path):
    path = write(
        tmp_path,
        "---\ntemplateKey: Page\ntitle: T\nblocks:\n  - type: FAQ\n    title: F\n    items:\n"
        f"      - title: {'x' * 301}\n---\n",
    )

    with pytest.raises(CmsFileError, match="301 characters long; at most 300 fit"):
        help_page_import(path=path)

    assert not HelpPage.objects.exists()


def png_bytes(size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, "PNG")
    return buffer.getvalue()


def test_referenced_image_is_validated_stored_and_shown(db, tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "sekvens-trackingimage_preview.png").write_bytes(png_bytes())
    path = seed_with(tmp_path, "Velg Ordre for å finne", "Velg Ordre for å finne")

    result = help_page_import(path=path)

    image = FaqImage.objects.get(path="/images/sekvens-trackingimage_preview.png")
    entry = FaqEntry.objects.get(question="Hvor lang leveringstid er det?")
    assert result.warnings == []
    assert f'src="{image.image.url}"' in entry.answer_html
    assert image.image.read() == png_bytes()


def test_missing_image_is_named_in_a_warning_and_left_out_of_the_page(seed):
    result = help_page_import(path=SEED_PATH)

    entry = FaqEntry.objects.get(question="Hvor lang leveringstid er det?")
    assert result.warnings == [
        "image /images/sekvens-trackingimage_preview.png is not a readable image in "
        f"{SEED_PATH.parent / 'images'}; "
        "the page leaves it out (showing its alt text, if any)"
    ]
    assert "<img" not in entry.answer_html
    assert entry.answer.endswith("![](/images/sekvens-trackingimage_preview.png)")


def test_file_that_is_not_an_image_is_named_in_a_warning_and_not_stored(db, tmp_path):
    (tmp_path / "bilder").mkdir()
    (tmp_path / "bilder" / "sekvens-trackingimage_preview.png").write_text("<svg onload=alert(1)>")

    result = help_page_import(path=SEED_PATH, images_dir=tmp_path / "bilder")

    assert "is not a readable image in" in result.warnings[0]
    assert not FaqImage.objects.exists()


def test_image_is_stored_re_encoded_under_the_extension_of_its_real_format(db, tmp_path):
    (tmp_path / "images").mkdir()
    html_after_png = png_bytes() + b"<html><script>alert(document.cookie)</script></html>"
    (tmp_path / "images" / "evil.html").write_bytes(html_after_png)
    path = seed_with(tmp_path, "sekvens-trackingimage_preview.png", "evil.html")

    result = help_page_import(path=path)

    image = FaqImage.objects.get(path="/images/evil.html")
    stored = image.image.read()
    assert result.warnings == []
    assert image.image.name.endswith("/evil.png")
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as read:
        assert (read.format, read.size) == ("PNG", (4, 3))


def test_image_reimported_unchanged_is_not_stored_again(db, tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "sekvens-trackingimage_preview.png").write_bytes(png_bytes())
    help_page_import(path=seed_with(tmp_path, "Velg Ordre", "Velg Ordre"))
    name = FaqImage.objects.get().image.name

    help_page_import(path=tmp_path / SEED_PATH.name)

    assert FaqImage.objects.get().image.name == name


def test_import_command_prints_counts_and_a_second_run_says_nothing_changed(db):
    first, second = io.StringIO(), io.StringIO()

    call_command("import_help_page", str(SEED_PATH), stdout=first, stderr=io.StringIO())
    call_command("import_help_page", str(SEED_PATH), stdout=second, stderr=io.StringIO())

    assert first.getvalue().strip() == "17 created, 0 updated, 0 unchanged"
    assert second.getvalue().strip() == "0 created, 0 updated, 17 unchanged"


def test_import_command_fails_with_the_file_key_and_line(seed, tmp_path):
    from django.core.management import CommandError

    path = seed_with(tmp_path, "hide: false\n", "hide: 3\n")

    with pytest.raises(
        CommandError, match=rf"{path}, line 7: hide: must be true or false, not int"
    ):
        call_command("import_help_page", str(path), stdout=io.StringIO())


def test_import_command_if_empty_leaves_a_stored_page_alone(seed):
    FaqEntry.objects.update(answer="Redigert")
    out = io.StringIO()

    call_command("import_help_page", str(SEED_PATH), "--if-empty", stdout=out)

    assert "nothing imported" in out.getvalue()
    assert set(FaqEntry.objects.values_list("answer", flat=True)) == {"Redigert"}


def test_export_command_writes_to_stdout_or_a_file(seed, tmp_path):
    out = io.StringIO()

    call_command("export_help_page", stdout=out)
    call_command("export_help_page", str(tmp_path / "ut.md"), stdout=io.StringIO())

    assert out.getvalue() == (tmp_path / "ut.md").read_text(encoding="utf-8")
    assert front_matter(tmp_path / "ut.md") == front_matter(SEED_PATH)


def test_reimport_of_a_file_that_drops_a_faq_block_is_refused_and_changes_nothing(db, tmp_path):
    help_page_import(path=page_file(tmp_path, FRAKT, KONTO))
    FaqEntry.objects.filter(question="Glemt passord?").update(helpful_count=3)
    before = database_snapshot()

    with pytest.raises(CmsFileError) as raised:
        help_page_import(path=page_file(tmp_path, FRAKT))

    assert 'no longer has the FAQ block "Konto" (1 entry, 3 votes)' in str(raised.value)
    assert "--delete-missing" in str(raised.value)
    assert database_snapshot() == before


def test_reimport_of_a_file_that_retypes_a_faq_block_is_refused(db, tmp_path):
    help_page_import(path=page_file(tmp_path, FRAKT, KONTO))
    before = database_snapshot()

    with pytest.raises(CmsFileError, match='no longer has the FAQ block "Konto"'):
        help_page_import(path=page_file(tmp_path, FRAKT, ("HelpForm", "Konto", ["Navn"])))

    assert database_snapshot() == before


def test_reimport_with_delete_missing_deletes_the_block_and_counts_it(db, tmp_path):
    help_page_import(path=page_file(tmp_path, FRAKT, KONTO))

    result = help_page_import(path=page_file(tmp_path, FRAKT), delete_missing=True)

    assert str(result) == "0 created, 0 updated, 4 unchanged, 2 deleted"
    assert result.changes == ['deleted FAQ block "Konto" (1 entry, 0 votes)']
    assert not FaqEntry.objects.filter(question="Glemt passord?").exists()
    assert list(Block.objects.values_list("title", flat=True)) == ["Frakt"]


def test_reimport_of_swapped_faq_blocks_keeps_each_block_its_entries(db, tmp_path):
    help_page_import(path=page_file(tmp_path, FRAKT, KONTO))
    entry = FaqEntry.objects.get(question="Glemt passord?")
    FaqEntry.objects.filter(pk=entry.pk).update(helpful_count=2)

    result = help_page_import(path=page_file(tmp_path, KONTO, FRAKT))

    entry.refresh_from_db()
    assert (result.created, result.archived, result.deleted) == (0, 0, 0)
    assert (entry.block.title, entry.is_archived, entry.helpful_count) == ("Konto", False, 2)
    assert list(Block.objects.order_by("position").values_list("title", flat=True)) == [
        "Konto",
        "Frakt",
    ]


def test_reimport_counts_the_form_fields_the_file_no_longer_has_as_deleted(seed, tmp_path):
    path = seed_with(
        tmp_path,
        "      - description: 'Fortel oss hva problem er. '\n        textarea: true\n"
        "        title: Hva trenger du help til?\n",
        "",
    )

    result = help_page_import(path=path)

    assert result.deleted == 1
    assert 'deleted form field "Hva trenger du help til?"' in result.changes


def test_dry_run_reports_the_changes_and_writes_nothing(seed, tmp_path):
    path = seed_with(
        tmp_path, "        title: Hvor er varene mine?\n", "        title: Hvor er pakken?\n"
    )
    before = database_snapshot()

    result = help_page_import(path=path, dry_run=True)

    assert str(result) == "1 created, 0 updated, 16 unchanged, 1 archived"
    assert result.changes == [
        'created FAQ entry "Hvor er pakken?"',
        'archived FAQ entry "Hvor er varene mine?"',
    ]
    assert database_snapshot() == before


def test_import_command_dry_run_prints_each_change_and_the_would_be_summary(seed, tmp_path):
    path = seed_with(
        tmp_path, "        title: Hvor er varene mine?\n", "        title: Hvor er pakken?\n"
    )
    out = io.StringIO()

    call_command("import_help_page", str(path), "--dry-run", stdout=out, stderr=io.StringIO())

    assert out.getvalue().splitlines() == [
        'created FAQ entry "Hvor er pakken?"',
        'archived FAQ entry "Hvor er varene mine?"',
        "Dry run, nothing written: 1 created, 0 updated, 16 unchanged, 1 archived",
    ]
    assert FaqEntry.objects.filter(question="Hvor er varene mine?", is_archived=False).exists()


def test_import_command_names_what_it_archived_and_deleted(db, tmp_path):
    call_command("import_help_page", str(page_file(tmp_path, FRAKT, KONTO)), stdout=io.StringIO())
    out = io.StringIO()

    call_command(
        "import_help_page",
        str(page_file(tmp_path, ("FAQ", "Frakt", ["Hvor er pakken?"]))),
        "--delete-missing",
        stdout=out,
    )

    assert out.getvalue().splitlines() == [
        'archived FAQ entry "Hva koster frakt?"',
        'deleted FAQ block "Konto" (1 entry, 0 votes)',
        "0 created, 0 updated, 3 unchanged, 1 archived, 2 deleted",
    ]


def test_import_command_refusal_names_the_block_and_the_option(db, tmp_path):
    from django.core.management import CommandError

    call_command("import_help_page", str(page_file(tmp_path, FRAKT, KONTO)), stdout=io.StringIO())

    with pytest.raises(CommandError, match='"Konto".*--delete-missing'):
        call_command("import_help_page", str(page_file(tmp_path, FRAKT)), stdout=io.StringIO())


def test_image_of_more_pixels_than_the_limit_is_not_imported(db, tmp_path, settings):
    settings.FAQ_IMAGE_MAX_PIXELS = 11
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "sekvens-trackingimage_preview.png").write_bytes(png_bytes((4, 3)))
    path = seed_with(tmp_path, "Velg Ordre", "Velg Ordre")

    result = help_page_import(path=path)

    assert [warning.split(" is ")[1] for warning in result.warnings] == [
        f"not a readable image in {tmp_path / 'images'}; "
        "the page leaves it out (showing its alt text, if any)"
    ]
    assert not FaqImage.objects.exists()


def test_import_records_each_changed_entry_as_a_version_naming_the_file(seed):
    entry = FaqEntry.objects.get(question="Hvor er varene mine?")
    entry.answer = "Et svar skrevet i admin."
    entry.save()

    help_page_import(path=SEED_PATH)

    latest = entry.history.first()
    assert latest.history_change_reason == f"import from {SEED_PATH.name}"
    assert latest.answer != "Et svar skrevet i admin."
    assert entry.history.count() == 3


def test_import_of_an_unchanged_file_makes_no_version(seed):
    before = FaqEntry.history.count()

    help_page_import(path=SEED_PATH)

    assert FaqEntry.history.count() == before
    assert set(FaqEntry.history.values_list("history_change_reason", flat=True)) == {
        f"import from {SEED_PATH.name}"
    }
