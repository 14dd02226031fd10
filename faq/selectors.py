"""The help page as visitors see it: at most three queries, rendered once per content version.

Every change to the page, a block, an entry or a form field renews HelpPage.content_version (see
faq.models), so a cached rendering is never served after a change: each request reads the page's
row in one query and reads and renders the rest only when that version has not been seen before.
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import connection
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from faq.models import Block, FaqEntry, FormField, HelpPage
from faq.search import search_matches, search_normalize, search_terms

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
    # Finished pages made from this view (faq.responses), by template name.
    rendered: dict = field(default_factory=dict, compare=False, repr=False)

    def blocks_shown(self, *, preview: bool, query: str) -> list[ShownBlock]:
        """The blocks with the entries a visitor sees: published (all, for staff) and matching."""
        shown = []
        terms = search_terms(query)
        for view in self.blocks:
            visible = [e for e in view.entries if preview or e.is_published]
            matching = [e for e in visible if search_matches(e.search_text, terms)]
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
    page = _page_read(slug)
    if page is None:
        return None
    key = (page.pk, page.content_version, get_language())
    with _cache_lock:
        if view := _cache.get(key):
            _cache.move_to_end(key)
            return view
    view = _build(page)
    with _cache_lock:
        _cache[key] = view
        while len(_cache) > CACHED_VERSIONS:
            _cache.popitem(last=False)
    return view


_PAGE_FIELDS = [
    "id", "slug", "template_key", "title", "introduction", "body", "is_hidden", "content_version",
    "updated_at",
]  # fmt: skip


def _page_read(slug: str) -> HelpPage | None:
    """The page row in one plain query.

    This query runs on every request; through the ORM, building it costs more than the rest of a
    cached page (measured: 0.3 ms against 20 us), so it is written out once here.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(HelpPage._meta.get_field(name).column) for name in _PAGE_FIELDS)
    sql = f"SELECT {columns} FROM {quote(HelpPage._meta.db_table)} WHERE {quote('slug')} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug])
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(_PAGE_FIELDS, row, strict=True))
    values["is_hidden"] = bool(values["is_hidden"])  # SQLite answers 0 or 1
    return HelpPage.from_db(connection.alias, _PAGE_FIELDS, list(values.values()))


def _build(page: HelpPage) -> PageView:
    # Blocks come with their items, so a block with no entries or fields is not shown.
    entries = list(
        FaqEntry.objects.select_related("block").filter(block__page=page, is_archived=False)
    )
    fields = list(
        FormField.objects.select_related("block").filter(block__page=page).order_by("position")
    )
    blocks: dict[int, Block] = {}
    items: dict[int, list] = {}
    for item in [*entries, *fields]:
        blocks.setdefault(item.block_id, item.block)
        items.setdefault(item.block_id, []).append(item)
    template = get_template("includes/faq_entry.html")
    views = []
    for block in sorted(blocks.values(), key=lambda b: (b.position, b.pk)):
        block_items = items[block.pk]
        if block.kind == Block.Kind.FAQ:
            rendered = tuple(
                EntryView(
                    e.pk,
                    e.question,
                    e.anchor,
                    e.search_text,
                    e.is_published,
                    template.render({"entry": e}),
                )
                for e in block_items
                if isinstance(e, FaqEntry)
            )
            views.append(BlockView(block=block, entries=rendered, fields=()))
        else:
            form_fields = tuple(f for f in block_items if isinstance(f, FormField))
            views.append(BlockView(block=block, entries=(), fields=form_fields))
    published = [e for e in entries if e.is_published]
    return PageView(page=page, blocks=tuple(views), json_ld=_faq_json_ld(published))


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
