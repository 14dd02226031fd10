"""FAQ Markdown becomes HTML here, and only here: rendered, then sanitised with an allow-list.

A pure function of the text and an image lookup passed in (faq.models passes the stored images).
"""

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from html import unescape

import markdown
import nh3
from django.utils.html import strip_tags
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h3", "h4", "h5", "h6", "hr", "img",
    "li", "ol", "p", "pre", "strong", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Answers sit under the page's h1 and the block's h2, so their own headings start at h3.
HEADING_SHIFT = 2

ImageResolver = Callable[[str], str | None]


class _ContentTreeprocessor(Treeprocessor):
    def __init__(self, md, resolve_image: ImageResolver):
        super().__init__(md)
        self.resolve_image = resolve_image

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "img":
                    # Its place now, after earlier images in the same parent were taken out.
                    self._resolve(parent, list(parent).index(child), child)
                elif match := re.fullmatch(r"h([1-6])", child.tag):
                    child.tag = f"h{min(int(match[1]) + HEADING_SHIFT, 6)}"
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "p" and not len(child) and not (child.text or "").strip():
                    parent.remove(child)

    def _resolve(self, parent: etree.Element, index: int, img: etree.Element) -> None:
        url = self.resolve_image(img.get("src", ""))
        if url:
            img.set("src", url)
            img.set("loading", "lazy")
            return
        # A picture we do not hold is dropped, keeping its alt text, so the page never shows a
        # broken image (or loads one from somewhere else).
        alt = img.get("alt", "")
        parent.remove(img)
        if alt:
            span = etree.Element("span")
            span.text = alt
            span.tail = img.tail
            parent.insert(index, span)
        elif img.tail:
            previous = parent[index - 1] if index else None
            if previous is not None:
                previous.tail = (previous.tail or "") + img.tail
            else:
                parent.text = (parent.text or "") + img.tail


class _SafeContentExtension(Extension):
    def __init__(self, resolve_image: ImageResolver):
        super().__init__()
        self.resolve_image = resolve_image

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        # Raw HTML in content is shown as text: without these two, Markdown would pass it through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_ContentTreeprocessor(md, self.resolve_image), "sekvens", 0)


def _no_images(src: str) -> None:
    return None


def markdown_to_html(text: str, *, resolve_image: ImageResolver = _no_images) -> str:
    html = markdown.markdown(
        text,
        extensions=["sane_lists", _SafeContentExtension(resolve_image)],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES | {"img": ALLOWED_ATTRIBUTES["img"] | {"loading"}},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def html_to_text(html: str) -> str:
    return unescape(strip_tags(html))


def markdown_images_refused(text: str, *, resolve_image: ImageResolver) -> list[str]:
    """The image addresses in the text that resolve_image does not know, for the editor."""
    refused = []

    def resolve(src: str) -> str | None:
        url = resolve_image(src)
        if url is None:
            refused.append(src)
        return url

    markdown_to_html(text, resolve_image=resolve)
    return refused
