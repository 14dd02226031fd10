"""The served help page: which page and entries are visible, its content, its cached bytes.

Content version -> page content -> rendered bytes. Every change to the page, a block, an entry or
a form field renews HelpPage.content_version (faq.models: saves, deletes and FaqEntry's bulk
writes), so a cached rendering is never served after a change. Each process reads the page's row
(with its version) at most once every HELP_PAGE_VERSION_SECONDS, forgets it at once when it
changes the page itself (faq.models.help_page_changed), and reads and renders the rest only when
a version has not been seen before: a warm request costs no query, and a change made by another
process (worker) is served within HELP_PAGE_VERSION_SECONDS.

The help page knows no form of its own: the app that owns a block kind registers the form that
kind shows (tickets registers the contact form) with help_page_block_form_register().
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.cache import patch_cache_control
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from faq.jsonld import faq_page_json_ld
from faq.models import Block, FaqEntry, FormField, HelpPage, Synonym, help_page_changed
from faq.rendering import html_to_text
from faq.responses import RenderedPage, page_render, rendered_page
from faq.search import SearchDocument, SearchIndex, search_highlight
from faq.search_log import search_logged

CACHED_VERSIONS = 8
# Search pages kept per content version and language, raw and gzip counted: about a dozen pages
# of 1,000 matching entries, or thousands of the usual few-match searches, per worker process.
SEARCH_PAGES_BYTES = 8 * 1024 * 1024
QUERY_MAX_LENGTH = 200
SEARCH_RESULTS_MAX = 20
# Result counts kept per content version for the search log of /?q= pages.
SEARCH_COUNTS_KEPT = 4096
HELP_PAGE_TEMPLATE = "faq/help_page.html"


@dataclass(frozen=True)
class EntryView:
    pk: int
    question: str
    anchor: str
    search_text: str
    is_published: bool
    html: str
    # The answer alone, sanitised (faq.rendering), for the answer's own page.
    answer_html: str


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
    # Search (faq.search): entries are keyed by anchor.
    index: SearchIndex = field(compare=False, repr=False)
    # Finished pages made from this view (faq.responses), by template name.
    rendered: dict = field(default_factory=dict, compare=False, repr=False)
    # Finished search pages, by query, least recently used first (help_page_response).
    searches: OrderedDict = field(default_factory=OrderedDict, compare=False, repr=False)
    # How many entries a public search finds, by query (results_count).
    search_counts: dict = field(default_factory=dict, compare=False, repr=False)

    def blocks_shown(self, *, preview: bool, query: str) -> list[ShownBlock]:
        """The blocks with the entries a visitor sees: published (all, for staff) and matching.

        With a query, the matching entries come best first, their matched words marked.
        """
        shown = []
        ranked, terms = self.search(query, preview=preview) if query else ({}, frozenset())
        for view in self.blocks:
            visible = [e for e in view.entries if preview or e.is_published]
            if query:
                matching = sorted(
                    (e for e in visible if e.anchor in ranked), key=lambda e: ranked[e.anchor]
                )
                html = "".join(_entry_html_marked(e, terms) for e in matching)
            else:
                matching = visible
                html = "".join(e.html for e in matching)
            html = mark_safe(html)  # noqa: S308 (rendered by our template)
            shown.append(ShownBlock(view.block, view.fields, html, len(matching), len(visible)))
        return shown

    def search(self, query: str, *, preview: bool) -> tuple[dict[str, int], frozenset[str]]:
        """The matching entries' anchors with their rank, and the terms to mark in them."""
        allowed = {e.anchor for b in self.blocks for e in b.entries if preview or e.is_published}
        hits = self.index.rank(query, allowed=allowed, limit=SEARCH_RESULTS_MAX)
        ranked = {hit.key: rank for rank, hit in enumerate(hits)}
        return ranked, self.index.plan(query).matched_terms

    def results_count(self, query: str) -> int:
        """How many published entries the search page for this query shows."""
        with _cache_lock:
            count = self.search_counts.get(query)
        if count is None:
            count = len(self.search(query, preview=False)[0])
            with _cache_lock:
                if len(self.search_counts) >= SEARCH_COUNTS_KEPT:
                    self.search_counts.clear()
                self.search_counts[query] = count
        return count

    @property
    def form_block(self) -> BlockView | None:
        return next((b for b in self.blocks if b.block.kind == Block.Kind.HELP_FORM), None)

    def entries_published(self) -> list[EntryView]:
        return [e for view in self.blocks for e in view.entries if e.is_published]

    def entry_published(self, entry_id: int) -> EntryView | None:
        return next((e for e in self.entries_published() if e.pk == entry_id), None)

    def entry_by_anchor(self, anchor: str) -> EntryView | None:
        """The published entry with this anchor."""
        return next((e for e in self.entries_published() if e.anchor == anchor), None)

    def suggestions(self, text: str, *, limit: int) -> list[EntryView]:
        """The published entries that best answer the text, as the search ranks them."""
        entries = {e.anchor: e for e in self.entries_published()}
        return [entries[hit.key] for hit in self.index.rank(text, allowed=entries, limit=limit)]


def question_marked(question: str, terms) -> SafeString:
    """The question with the matched words in <mark>; every piece of text is escaped."""
    pieces = search_highlight(question, terms)
    marked = (format_html("<mark>{}</mark>", text) if hit else escape(text) for text, hit in pieces)
    return mark_safe("".join(marked))  # noqa: S308 (every piece escaped above)


def _entry_html_marked(entry: EntryView, terms) -> str:
    # The entry's rendering starts its summary with its question, escaped (faq_entry.html).
    plain = f"<summary>{escape(entry.question)}"
    marked = f"<summary>{question_marked(entry.question, terms)}"
    return entry.html.replace(plain, marked, 1)


def help_page_served(*, preview: bool = False) -> PageView | None:
    """The page visitors are served (settings.HELP_PAGE_SLUG); None when there is none or it is
    hidden. Staff (preview) are served a hidden page too. Every view asks this one function."""
    view = _page_view(settings.HELP_PAGE_SLUG)
    if view is None or (view.page.is_hidden and not preview):
        return None
    return view


# A block kind's form, registered by the app that owns it: kind -> form_new(fields=).
_block_forms: dict[str, Callable[..., object]] = {}


def help_page_block_form_register(kind: str, form_new: Callable[..., object]) -> None:
    """Blocks of this kind show the form `form_new(fields=...)` makes, unbound. The page is the
    same for every visitor, so the form carries nothing of one visitor's."""
    _block_forms[kind] = form_new


# Templates other apps add at the end of the page (tickets' chat launcher), in order.
_includes: list[str] = []


def help_page_include_register(template_name: str) -> None:
    """The help page includes this template at its end. It is rendered with the page, once per
    content version, so it too must be the same for every visitor (no token, no cookie)."""
    if template_name not in _includes:
        _includes.append(template_name)


def help_page_response(request, *, page_view=None, status=200, block_forms=None):
    """The help page for this request. A view that has read the page passes it (page_view), and
    a failed form post passes its bound form by block kind (block_forms) to show its errors."""
    # Only a visitor with a session cookie can be staff. Without one, the session is not read,
    # so the page does not vary on Cookie and costs no query here.
    preview = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_staff
    if page_view is None:
        page_view = help_page_served(preview=preview)
    if page_view is None:
        raise Http404(_("The help page is not published."))
    query = ""
    if request.META.get("QUERY_STRING"):  # /: building request.GET would cost a tenth of it
        query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    if not (preview or block_forms):
        # What nearly every visitor gets: the finished page of this content version.
        if query:
            rendered = _search_rendered(page_view, query)
            if request.method == "GET":
                search_logged(request, query=query, results=page_view.results_count(query))
        else:
            rendered = rendered_page(page_view, HELP_PAGE_TEMPLATE, lambda: _context(page_view))
        return rendered.response(request)
    context = _context(page_view, preview=preview, query=query, block_forms=block_forms)
    response = render(request, HELP_PAGE_TEMPLATE, context, status=status)
    if preview:
        # Hidden entries: never kept by a proxy, nor by the browser for the next person.
        patch_cache_control(response, private=True, no_store=True)
    return response


ENTRY_PAGE_TEMPLATE = "faq/entry_page.html"


def entry_page_response(request, anchor: str):
    """One published answer on its own page (/svar/<anchor>/), with its question: the same bytes
    for every visitor, made once per content version, cached like the help page itself.

    Unlike /#anchor, it needs no <details> to open: for links shared or found by a search engine.
    """
    page_view = help_page_served()
    entry = page_view and page_view.entry_by_anchor(anchor)
    if entry is None:
        raise Http404(_("No such answer."))
    key = (ENTRY_PAGE_TEMPLATE, anchor)
    rendered = page_view.rendered.get(key)
    if rendered is None:
        context = {
            "page": page_view.page,
            "entry": entry,
            "answer_html": mark_safe(entry.answer_html),  # noqa: S308 (sanitised on save)
            "canonical": settings.SITE_URL + request.path,
        }
        rendered = page_render(ENTRY_PAGE_TEMPLATE, context, page_view.page)
        page_view.rendered[key] = rendered
    return rendered.response(request)


def _search_rendered(page_view: PageView, query: str) -> RenderedPage:
    """The finished page for this query, kept with its content version.

    Keyed by the query as the visitor wrote it (trimmed), since the page shows it in the search
    box; bounded by bytes, as one query matching everything costs as much as the whole page.
    """
    with _cache_lock:
        if rendered := page_view.searches.get(query):
            page_view.searches.move_to_end(query)
            return rendered
    rendered = page_render(HELP_PAGE_TEMPLATE, _context(page_view, query=query), page_view.page)
    if _rendered_size(rendered) > SEARCH_PAGES_BYTES:
        return rendered
    with _cache_lock:
        page_view.searches[query] = rendered
        kept = sum(_rendered_size(r) for r in page_view.searches.values())
        while kept > SEARCH_PAGES_BYTES:
            _, dropped = page_view.searches.popitem(last=False)
            kept -= _rendered_size(dropped)
    return rendered


def _rendered_size(rendered: RenderedPage) -> int:
    return len(rendered.plain) + len(rendered.gzipped)


def _context(page_view, *, preview=False, query="", block_forms=None):
    blocks = page_view.blocks_shown(preview=preview, query=query)
    for shown in blocks:
        bound = (block_forms or {}).get(shown.block.kind)
        if bound is not None:
            shown.form = bound
        elif form_new := _block_forms.get(shown.block.kind):
            shown.form = form_new(fields=shown.fields)
    return {
        "page": page_view.page,
        "blocks": blocks,
        "json_ld": page_view.json_ld,
        "query": query,
        "preview": preview,
        "includes": tuple(_includes),
    }


_cache: OrderedDict[tuple, PageView] = OrderedDict()
_cache_lock = threading.Lock()


def _page_view(slug: str) -> PageView | None:
    page = _page_kept(slug)
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


# The page rows this process read, by slug: (when the read began, the row or None).
_rows: dict[str, tuple[float, HelpPage | None]] = {}


def _page_kept(slug: str) -> HelpPage | None:
    """The page row as read at most HELP_PAGE_VERSION_SECONDS ago, or read now."""
    now = time.monotonic()
    kept = _rows.get(slug)
    if kept is not None and now - kept[0] < settings.HELP_PAGE_VERSION_SECONDS:
        return kept[1]
    page = _page_read(slug)
    _rows[slug] = (now, page)
    return page


def help_page_forget() -> None:
    """Read the page rows again on the next request."""
    _rows.clear()


@receiver(help_page_changed)
def _page_changed(**kwargs) -> None:
    # At once, and again once committed: a request in another thread may have read the old row
    # in between.
    help_page_forget()
    transaction.on_commit(help_page_forget)


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
                    e.answer_html,
                )
                for e in block_items
                if isinstance(e, FaqEntry)
            )
            views.append(BlockView(block=block, entries=rendered, fields=()))
        else:
            form_fields = tuple(f for f in block_items if isinstance(f, FormField))
            views.append(BlockView(block=block, entries=(), fields=form_fields))
    published = [e for e in entries if e.is_published]
    index = SearchIndex(
        [SearchDocument(e.anchor, e.question, html_to_text(e.answer_html)) for e in entries],
        {s.word: s.equivalent_list for s in Synonym.objects.all()},
    )
    return PageView(
        page=page, blocks=tuple(views), json_ld=faq_page_json_ld(published), index=index
    )
