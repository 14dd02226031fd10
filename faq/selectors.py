"""The help page as visitors see it: at most three queries, rendered once per content version.

Every change to the page, a block, an entry or a form field renews HelpPage.content_version (see
faq.models), so a cached rendering is never served after a change: each request reads the blocks and
the page's version in one query and renders only when that version has not been seen before.
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from faq.models import Block, FaqEntry, FormField, HelpPage
from faq.search import search_matches, search_normalize

CACHED_VERSIONS = 8
SUGGEST_MIN_WORD = 4
# Common Norwegian words of four letters or more that say nothing about what a customer needs.
SUGGEST_IGNORED_WORDS = frozenset(
    "hvordan hvorfor hvor også eller ikke noen mine mitt min meg dere deres med være blir "
    "bare etter denne dette disse kunne skulle ville hvis fordi hallo takk hilsen vennlig".split()
)
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class EntryView:
    pk: int
    question: str
    anchor: str
    search_text: str
    is_published: bool
    html: str


@dataclass(frozen=True)
class BlockView:
    block: Block
    entries: tuple[EntryView, ...]
    fields: tuple[FormField, ...]


@dataclass
class ShownBlock:
    block: Block
    fields: tuple[FormField, ...]
    entries_html: SafeString
    shown: int
    total: int
    form: object = None


@dataclass(frozen=True)
class PageView:
    page: HelpPage
    blocks: tuple[BlockView, ...]
    json_ld: SafeString

    def blocks_shown(self, *, preview: bool, query: str) -> list[ShownBlock]:
        """The blocks with the entries a visitor sees: published (all, for staff) and matching."""
        shown = []
        for view in self.blocks:
            visible = [e for e in view.entries if preview or e.is_published]
            matching = [e for e in visible if search_matches(e.search_text, query)]
            html = mark_safe("".join(e.html for e in matching))  # noqa: S308 (rendered by our template)
            shown.append(ShownBlock(view.block, view.fields, html, len(matching), len(visible)))
        return shown

    @property
    def form_block(self) -> BlockView | None:
        return next((b for b in self.blocks if b.block.kind == Block.Kind.HELP_FORM), None)

    def suggestions(self, text: str, *, limit: int) -> list[EntryView]:
        """Published entries that share the most words with the text (questions count double)."""
        terms = {t for t in search_normalize(text).split() if len(t) >= SUGGEST_MIN_WORD}
        terms -= SUGGEST_IGNORED_WORDS
        scored = []
        for view in self.blocks:
            for entry in view.entries:
                if not entry.is_published:
                    continue
                question = search_normalize(entry.question)
                score = sum(
                    (2 if term in question else 1) for term in terms if term in entry.search_text
                )
                if score:
                    scored.append((-score, len(scored), entry))
        return [entry for *_, entry in sorted(scored)[:limit]]


_cache: OrderedDict[tuple, PageView] = OrderedDict()
_cache_lock = threading.Lock()


def help_page_view(slug: str) -> PageView | None:
    blocks = list(Block.objects.select_related("page").filter(page__slug=slug))
    page = blocks[0].page if blocks else HelpPage.objects.filter(slug=slug).first()
    if page is None:
        return None
    key = (page.pk, page.content_version, get_language())
    with _cache_lock:
        if view := _cache.get(key):
            _cache.move_to_end(key)
            return view
    view = _build(page, blocks)
    with _cache_lock:
        _cache[key] = view
        while len(_cache) > CACHED_VERSIONS:
            _cache.popitem(last=False)
    return view


def _build(page: HelpPage, blocks: list[Block]) -> PageView:
    by_kind = {kind: [b.pk for b in blocks if b.kind == kind] for kind in Block.Kind}
    entries: dict[int, list[FaqEntry]] = {pk: [] for pk in by_kind[Block.Kind.FAQ]}
    fields: dict[int, list[FormField]] = {pk: [] for pk in by_kind[Block.Kind.HELP_FORM]}
    if entries:
        for entry in FaqEntry.objects.filter(block__in=entries):
            entries[entry.block_id].append(entry)
    if fields:
        for form_field in FormField.objects.filter(block__in=fields):
            fields[form_field.block_id].append(form_field)
    template = get_template("includes/faq_entry.html")
    views = tuple(
        BlockView(
            block=block,
            entries=tuple(
                EntryView(
                    e.pk,
                    e.question,
                    e.anchor,
                    e.search_text,
                    e.is_published,
                    template.render({"entry": e}),
                )
                for e in entries.get(block.pk, ())
            ),
            fields=tuple(fields.get(block.pk, ())),
        )
        for block in blocks
    )
    published = [e for block_entries in entries.values() for e in block_entries if e.is_published]
    return PageView(page=page, blocks=views, json_ld=_faq_json_ld(published))


def _faq_json_ld(entries: list[FaqEntry]) -> SafeString:
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": entry.question,
                "acceptedAnswer": {"@type": "Answer", "text": entry.answer_html},
            }
            for entry in entries
        ],
    }
    # Escaped like Django's json_script, so no answer can close the <script> element.
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308
