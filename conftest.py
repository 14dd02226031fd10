from pathlib import Path

import pytest

from faq.cms import help_page_import
from faq.models import Block, FaqBlock, FaqEntry, HelpPage

SEED_PATH = Path(__file__).parent / "fixtures" / "hjelp-og-support.md"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seed(db, settings):
    """The real help page, imported from the CMS file in fixtures/."""
    settings.HELP_PAGE_SLUG = SEED_PATH.stem
    help_page_import(path=SEED_PATH)
    return HelpPage.objects.get(slug=SEED_PATH.stem)


@pytest.fixture
def make_page(db, settings):
    def make(**overrides) -> HelpPage:
        values = {"slug": settings.HELP_PAGE_SLUG, "title": "Hjelp", "introduction": "Vi hjelper"}
        return HelpPage.objects.create(**values | overrides)

    return make


@pytest.fixture
def make_block(make_page):
    def make(page=None, **overrides) -> Block:
        values = {"kind": Block.Kind.FAQ, "title": "Spørsmål", "position": 0}
        return Block.objects.create(page=page or make_page(), **values | overrides)

    return make


@pytest.fixture
def make_entry(make_block):
    def make(block=None, **overrides) -> FaqEntry:
        if block is None:
            block = FaqBlock.objects.first() or make_block()
        position = FaqEntry.objects.count()
        values = {"question": f"Spørsmål {position}?", "answer": "Et svar.", "position": position}
        return FaqEntry.objects.create(block=block, **values | overrides)

    return make
