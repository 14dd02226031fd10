from pathlib import Path

import polib
from django.conf import settings

CATALOG = Path(settings.BASE_DIR) / "locale" / "nb" / "LC_MESSAGES"


def test_every_interface_string_has_a_bokmal_translation():
    po = polib.pofile(str(CATALOG / "django.po"))

    missing = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]

    assert missing == []


def test_compiled_catalog_matches_the_translations():
    po = polib.pofile(str(CATALOG / "django.po"))
    mo = polib.mofile(str(CATALOG / "django.mo"))

    compiled = {(e.msgid, e.msgstr or str(e.msgstr_plural)) for e in mo if e.msgid}
    written = {(e.msgid, e.msgstr or str(e.msgstr_plural)) for e in po.translated_entries()}

    assert written == compiled
