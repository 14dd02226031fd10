"""Read and write the CMS page file (YAML front matter): import and export side by side.

The mapping between CMS keys and our fields is written once, in the tables below, and both
directions use it, so that a page survives import -> export -> import.
"""

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Prefetch, Sum
from django.utils import translation
from PIL import Image

from faq.forms import image_pixels_allowed
from faq.models import Block, FaqEntry, FaqImage, FormField, HelpPage, markdown_render
from faq.validators import success_path_validate


class CmsFileError(Exception):
    """The CMS file cannot be imported; the message names the file, the key and the line."""


@dataclass(frozen=True)
class Key:
    cms: str
    field: str
    type: type
    required: bool = False


# Each table lists the CMS keys in the order the CMS writes them; export keeps that order.
PAGE_KEYS = [
    Key("templateKey", "template_key", str, required=True),
    Key("title", "title", str, required=True),
    Key("introduction", "introduction", str),
    Key("hide", "is_hidden", bool),
]
FAQ_BLOCK_KEYS = [
    Key("title", "title", str, required=True),
    Key("introduction", "introduction", str),
]
FORM_BLOCK_KEYS = [
    Key("action", "button_text", str),
    Key("full", "is_full_width", bool),
    Key("title", "title", str, required=True),
    Key("introduction", "introduction", str),
    Key("success", "success_path", str),
]
FAQ_ITEM_KEYS = [
    Key("description", "answer", str),
    Key("title", "question", str, required=True),
]
FORM_ITEM_KEYS = [
    Key("description", "placeholder", str),
    Key("title", "label", str, required=True),
]
# Keys with no field of the same meaning: an entry's "hide" is the opposite of is_published, a
# field's "textarea" is one of its kinds. Both are written only when true.
FAQ_ITEM_HIDE = "hide"
FORM_ITEM_TEXTAREA = "textarea"
BLOCK_KINDS = {Block.Kind.FAQ: FAQ_BLOCK_KEYS, Block.Kind.HELP_FORM: FORM_BLOCK_KEYS}
IMAGE_REFERENCE = re.compile(r"!\[[^\]]*\]\((/images/[^)\s]+)")
# The formats an imported image may have, and the extension it is stored under.
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
IMAGE_SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S | re.M)
# The seed file is 4 KB. PyYAML reads about 200 KB a second and holds a hundred times the file in
# memory, so a file of a few megabytes would keep the import busy for minutes and use gigabytes.
FILE_MAX_BYTES = 1024 * 1024
# A page is six levels deep (page, blocks, block, items, item, value); far more is no CMS file.
NESTING_MAX = 128
NESTING_STARTS = (
    yaml.FlowSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.BlockMappingStartToken,
)
NESTING_ENDS = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)
# Control characters other than tab and line breaks (NUL cannot even be stored on PostgreSQL), and
# the surrogates a YAML escape like "\ud800" makes, which cannot be encoded for the database.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    # One line per created, updated, archived or deleted item: 'archived FAQ entry "Question?"'.
    changes: list[str] = field(default_factory=list)

    def __str__(self):
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        for outcome in ("archived", "deleted"):
            if count := getattr(self, outcome):
                text += f", {count} {outcome}"
        return text

    def count(self, outcome: str, obj: Any, detail: str = "") -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "unchanged":
            self.changes.append(f"{outcome} {_describe(obj)}{detail}")


@dataclass
class _Item:
    values: dict[str, Any]
    extra: dict[str, Any]


@dataclass
class _Block:
    kind: str
    values: dict[str, Any]
    items: list[_Item]


@dataclass
class _Page:
    values: dict[str, Any]
    blocks: list[_Block]
    images: dict[str, tuple[str, bytes]]


def help_page_import(
    *,
    path: Path,
    slug: str | None = None,
    images_dir: Path | None = None,
    delete_missing: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Make the page stored under `slug` (default: the file's stem) match the CMS file.

    Blocks are matched by title within their type, then by order; entries by question within
    their block. An entry the file no longer has is archived, not deleted, so its answer and votes
    are kept. A stored block the file no longer has is deleted only with `delete_missing`;
    otherwise the import is refused. `dry_run` counts the changes and writes nothing.
    """
    path = Path(path)
    result = ImportResult()
    parsed = _parse(path, images_dir or path.parent / "images", result.warnings)
    if dry_run:
        # Stored images are files, which a rolled-back transaction would leave behind.
        parsed.images.clear()
    slug = slug or path.stem
    with transaction.atomic():
        page = HelpPage.objects.filter(slug=slug).first()
        matches, missing = _blocks_match(page, parsed.blocks)
        if missing and not delete_missing:
            raise CmsFileError(_missing_message(path, missing))
        # Each entry the import changes gets a version saying so (faq.models: FaqEntry.history).
        _store(
            parsed, page, slug, matches, missing, result, reason=f"import from {path.name}"[:100]
        )
        if dry_run:
            transaction.set_rollback(True)
    return result


def help_page_export(*, slug: str) -> str:
    entries = Prefetch("entries", FaqEntry.objects.filter(is_archived=False))
    page = HelpPage.objects.prefetch_related(
        Prefetch("blocks", Block.objects.prefetch_related(entries, "fields"))
    ).get(slug=slug)
    data = _values_out(page, PAGE_KEYS)
    data["blocks"] = [_block_out(block) for block in page.blocks.all()]
    front_matter = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return f"---\n{front_matter}---\n{page.body}"


def _parse(path: Path, images_dir: Path, warnings: list[str]) -> _Page:
    try:
        if (size := path.stat().st_size) > FILE_MAX_BYTES:
            raise CmsFileError(
                f"{path}: the file is {size} bytes; at most {FILE_MAX_BYTES} are read"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CmsFileError(f"{path}: cannot read the file: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise CmsFileError(f"{path}: not UTF-8 text (byte {error.start})") from error
    if unstorable := UNSTORABLE.search(text):
        line = text.count("\n", 0, unstorable.start()) + 1
        raise CmsFileError(
            f"{path}, line {line}: the character U+{ord(unstorable[0]):04X} cannot be stored"
        )
    match = FRONT_MATTER.match(text)
    if not match:
        raise CmsFileError(
            f"{path}: no front matter: the file must start with a '---' line "
            "and the YAML must end with another"
        )
    source, body = match.groups()
    try:
        # Checked as nodes first: safe_load itself can blow up (aliases) or crash (bad scalars).
        _depth_check(source)
        root = yaml.compose(source, Loader=yaml.SafeLoader)
        _nodes_check(root)
        data = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 2}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise CmsFileError(f"{path}{where}: not valid YAML: {problem}") from error
    except RecursionError as error:
        raise CmsFileError(
            f"{path}: not valid YAML: lists or mappings nested too deeply"
        ) from error
    checker = _Checker(path, root)
    checker.mapping(data, ())
    page_values = checker.values(data, (), PAGE_KEYS, HelpPage, extra=("blocks",))
    blocks = checker.require(data, (), "blocks", list)
    parsed = _Page(
        values={**page_values, "body": body},
        blocks=[checker.block(block, ("blocks", index)) for index, block in enumerate(blocks)],
        images={},
    )
    _collect_images(parsed, images_dir, warnings)
    return parsed


def _depth_check(source: str) -> None:
    """Refuse nesting deeper than a page can have before the composer, which recurses once per
    level, runs out of stack. The scanner is a loop, so counting its tokens cannot."""
    depth = 0
    for token in yaml.scan(source, Loader=yaml.SafeLoader):
        if isinstance(token, NESTING_STARTS):
            depth += 1
            if depth > NESTING_MAX:
                raise RecursionError(f"more than {NESTING_MAX} levels")
        elif isinstance(token, NESTING_ENDS):
            depth -= 1


def _nodes_check(root: yaml.Node | None) -> None:
    """Refuse what yaml.safe_load would take without a word, or crash on, naming the line.

    The CMS never writes an alias, and through merge keys ten short lines of them expand to
    billions of values ("billion laughs"). A repeated key would silently drop the first value. A
    scalar its type cannot read (`title: 2024-02-30` is taken for a date) would crash the loader.
    """
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        # An alias is the very node its anchor made, so meeting a node twice means an alias.
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed: write the value out", node.start_mark
            )
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            _scalar_read(constructor, node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            keys = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    value = _scalar_read(constructor, key)
                    if value in keys:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"the key '{key.value}' appears twice", key.start_mark
                        )
                    keys.add(value)
            stack.extend(reversed([part for pair in node.value for part in pair]))


def _scalar_read(constructor: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    if node.tag == MERGE_TAG:
        return node.value
    try:
        return constructor.construct_object(node)
    except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError) as error:
        kind = node.tag.rsplit(":", 1)[-1]
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"'{node.value[:50]}' cannot be read as {kind}: put quotes around text",
            node.start_mark,
        ) from error


class _Checker:
    """Checks the parsed front matter against the key tables and names the line of a fault."""

    def __init__(self, path: Path, root: yaml.Node | None):
        self.path, self.root = path, root

    def fail(self, keys: tuple, message: str) -> CmsFileError:
        name = ".".join(str(key) for key in keys) or "front matter"
        line = _line_of(self.root, keys)
        where = f", line {line}" if line else ""
        return CmsFileError(f"{self.path}{where}: {name}: {message}")

    def mapping(self, value: Any, keys: tuple) -> None:
        if not isinstance(value, dict):
            raise self.fail(keys, f"must be a mapping of keys, not {_type_name(value)}")

    def require(self, data: dict, keys: tuple, key: str, kind: type) -> Any:
        if key not in data:
            raise self.fail(keys, f"the key '{key}' is missing")
        value = data[key]
        if not isinstance(value, kind):
            raise self.fail((*keys, key), f"must be {_type_name(kind())}, not {_type_name(value)}")
        return value

    def values(
        self, data: dict, keys: tuple, table: list[Key], model: type, extra: tuple = ()
    ) -> dict:
        known = {key.cms for key in table} | set(extra)
        for key in data:
            if key not in known:
                raise self.fail((*keys, key), f"unknown key (expected one of {sorted(known)})")
        values = {}
        for key in table:
            if key.required or key.cms in data:
                value = self.require(data, keys, key.cms, key.type)
                if isinstance(value, str) and (unstorable := UNSTORABLE.search(value)):
                    raise self.fail(
                        (*keys, key.cms),
                        f"the character U+{ord(unstorable[0]):04X} cannot be stored",
                    )
                limit = getattr(model._meta.get_field(key.field), "max_length", None)
                if limit and len(value) > limit:
                    raise self.fail(
                        (*keys, key.cms), f"is {len(value)} characters long; at most {limit} fit"
                    )
                values[key.field] = value
        return values

    def block(self, data: Any, keys: tuple) -> _Block:
        self.mapping(data, keys)
        kind = self.require(data, keys, "type", str)
        if kind not in BLOCK_KINDS:
            raise self.fail(
                (*keys, "type"),
                f"unknown block type '{kind}' (expected one of {sorted(BLOCK_KINDS)})",
            )
        values = self.values(data, keys, BLOCK_KINDS[kind], Block, extra=("type", "items"))
        if values.get("success_path"):
            # The file's errors are in English, whatever language the command runs in.
            with translation.override(None):
                try:
                    success_path_validate(values["success_path"])
                except ValidationError as error:
                    raise self.fail((*keys, "success"), " ".join(error.messages)) from error
        items = self.require(data, keys, "items", list)
        return _Block(
            kind,
            values,
            [self.item(kind, item, (*keys, "items", index)) for index, item in enumerate(items)],
        )

    def item(self, kind: str, data: Any, keys: tuple) -> _Item:
        self.mapping(data, keys)
        flag = FAQ_ITEM_HIDE if kind == Block.Kind.FAQ else FORM_ITEM_TEXTAREA
        table, model = (
            (FAQ_ITEM_KEYS, FaqEntry) if kind == Block.Kind.FAQ else (FORM_ITEM_KEYS, FormField)
        )
        values = self.values(data, keys, table, model, extra=(flag,))
        extra = {flag: self.require(data, keys, flag, bool)} if flag in data else {}
        return _Item(values, extra)


def _line_of(root: yaml.Node | None, keys: tuple) -> int | None:
    """The file's line of the deepest node on the path (the front matter starts on line 2)."""
    node = root
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            value = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            value = node.value[key] if key < len(node.value) else None
        else:
            value = None
        if value is None:
            break
        node = value
    return node.start_mark.line + 2 if node is not None else None


def _type_name(value: Any) -> str:
    return {
        str: "text",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


def _collect_images(page: _Page, images_dir: Path, warnings: list[str]) -> None:
    texts = [page.values.get("introduction", ""), page.values.get("body", "")]
    for block in page.blocks:
        texts.append(block.values.get("introduction", ""))
        texts.extend(item.values.get("answer", "") for item in block.items)
    for reference in sorted({ref for text in texts for ref in IMAGE_REFERENCE.findall(text)}):
        image = _image_read(images_dir, reference)
        if image is None:
            # One wording for every refusal, so the warning never tells what exists where.
            warnings.append(
                f"image {reference} is not a readable image in {images_dir}; "
                "the page leaves it out (showing its alt text, if any)"
            )
            continue
        page.images[reference] = image


def _image_read(images_dir: Path, reference: str) -> tuple[str, bytes] | None:
    """The image re-encoded by Pillow, named with its real format's extension; None if refused.

    Only a file inside the folder (after following symlinks) is read. Re-encoding keeps only
    the picture: bytes appended to it, or hidden in its metadata, do not reach media storage.
    """
    name = PurePosixPath(reference.removeprefix(FaqImage.CMS_PREFIX))
    try:
        root = images_dir.resolve()
        source = root.joinpath(*name.parts).resolve()
        if not source.is_relative_to(root) or not source.is_file():
            return None
        with Image.open(source) as image:
            if image.format not in IMAGE_FORMATS or not image_pixels_allowed(image):
                return None
            image.load()
            buffer = io.BytesIO()
            image.save(buffer, image.format, **IMAGE_SAVE_OPTIONS.get(image.format, {}))
    except (OSError, ValueError, RuntimeError, SyntaxError, Image.DecompressionBombError):
        return None
    return f"{name.stem}.{IMAGE_FORMATS[image.format]}", buffer.getvalue()


def _blocks_match(
    page: HelpPage | None, parsed_blocks: list[_Block]
) -> tuple[list[Block | None], list[Block]]:
    """The stored block for each block of the file (None: a new one), and the stored blocks left.

    A title is matched first, so two blocks the file swaps keep their entries; what is left is
    matched in order within its type, so a block retitled in the file keeps its entries too.
    """
    free = list(page.blocks.order_by("position", "pk")) if page else []
    matches: list[Block | None] = [None] * len(parsed_blocks)
    for same_title in (True, False):
        for index, parsed_block in enumerate(parsed_blocks):
            if matches[index] is not None:
                continue
            match = next(
                (
                    block
                    for block in free
                    if block.kind == parsed_block.kind
                    and (block.title == parsed_block.values["title"] or not same_title)
                ),
                None,
            )
            if match:
                matches[index] = match
                free.remove(match)
    return matches, free


def _missing_message(path: Path, missing: list[Block]) -> str:
    blocks = "; ".join(f"the {_describe(block)}{_contents(block)}" for block in missing)
    return (
        f"{path}: the file no longer has {blocks}; nothing was imported. Put it back in the "
        "file, or import with --delete-missing to delete it with everything in it."
    )


def _contents(block: Block) -> str:
    if block.kind != Block.Kind.FAQ:
        return f" ({_counted(block.fields.count(), 'field', 'fields')})"
    totals = block.entries.aggregate(
        entries=Count("pk"), votes=Sum(F("helpful_count") + F("not_helpful_count"), default=0)
    )
    entries = _counted(totals["entries"], "entry", "entries")
    return f" ({entries}, {_counted(totals['votes'], 'vote', 'votes')})"


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _describe(obj: Any) -> str:
    if isinstance(obj, HelpPage):
        return f'page "{obj.title}"'
    if isinstance(obj, Block):
        kind = "FAQ" if obj.kind == Block.Kind.FAQ else "contact form"
        return f'{kind} block "{obj.title}"'
    if isinstance(obj, FaqEntry):
        return f'FAQ entry "{obj.question}"'
    return f'form field "{obj.label}"'


def _store(
    parsed: _Page,
    page: HelpPage | None,
    slug: str,
    matches: list[Block | None],
    missing: list[Block],
    result: ImportResult,
    *,
    reason: str,
) -> None:
    for reference, (name, content) in parsed.images.items():
        _store_image(reference, name, content)
    page, outcome = _upsert(page, lambda: HelpPage(slug=slug), parsed.values)
    result.count(outcome, page)
    position = 0
    for block_position, parsed_block in enumerate(parsed.blocks):
        block, outcome = _upsert(
            matches[block_position],
            lambda kind=parsed_block.kind: Block(page=page, kind=kind),
            {**parsed_block.values, "position": block_position},
        )
        result.count(outcome, block)
        if parsed_block.kind == Block.Kind.FAQ:
            position = _store_entries(block, parsed_block.items, position, result, reason)
        else:
            _store_fields(block, parsed_block.items, result)
    for block in missing:
        items = block.entries.count() if block.kind == Block.Kind.FAQ else block.fields.count()
        contents = _contents(block)
        block.delete()
        # Counted like the import counts: the block and each entry or field in it.
        result.count("deleted", block, contents)
        result.deleted += items


def _store_entries(
    block: Block, items: list[_Item], position: int, result: ImportResult, reason: str
) -> int:
    existing = list(block.entries.order_by("position"))
    for item in items:
        match = next((e for e in existing if e.question == item.values["question"]), None)
        if match:
            existing.remove(match)
        values = {
            "answer": "",
            **item.values,
            "position": position,
            "is_published": not item.extra.get(FAQ_ITEM_HIDE, False),
            "is_archived": False,
        }
        entry, outcome = _upsert(match, lambda: FaqEntry(block=block), values, reason=reason)
        if outcome == "unchanged" and entry.answer_html != markdown_render(entry.answer):
            entry._change_reason = reason
            entry.save()
            outcome = "updated"
        result.count(outcome, entry)
        position += 1
    for entry in existing:
        if not entry.is_archived:
            result.count("archived", entry)
        if (entry.is_archived, entry.position) != (True, position):
            entry.is_archived, entry.position = True, position
            entry._change_reason = reason
            entry.save(update_fields=["is_archived", "position"])
        position += 1
    return position


def _store_fields(block: Block, items: list[_Item], result: ImportResult) -> None:
    existing = list(block.fields.order_by("position"))
    for position, item in enumerate(items):
        values = {"placeholder": "", **item.values, "position": position, "kind": _field_kind(item)}
        form_field, outcome = _upsert(
            existing[position] if position < len(existing) else None,
            lambda: FormField(block=block),
            values,
        )
        result.count(outcome, form_field)
    for extra in existing[len(items) :]:
        extra.delete()
        result.count("deleted", extra)


def _field_kind(item: _Item) -> str:
    # The CMS marks only the message field; an address-like placeholder makes an email field.
    if item.extra.get(FORM_ITEM_TEXTAREA):
        return FormField.Kind.TEXTAREA
    if "@" in item.values.get("placeholder", ""):
        return FormField.Kind.EMAIL
    return FormField.Kind.TEXT


def _upsert(obj, make, values: dict, *, reason: str = "") -> tuple[Any, str]:
    if obj is None:
        obj = make()
        for name, value in values.items():
            setattr(obj, name, value)
        obj._change_reason = reason
        obj.save()
        return obj, "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj._change_reason = reason
    obj.save()
    return obj, "updated"


def _store_image(reference: str, name: str, content: bytes) -> None:
    image = FaqImage.objects.filter(path=reference).first()
    if (
        image
        and image.image
        and PurePosixPath(image.image.name).suffix == PurePosixPath(name).suffix
        and _digest_of(image) == hashlib.sha256(content).hexdigest()
    ):
        return
    image = image or FaqImage(path=reference)
    image.image.save(name, ContentFile(content), save=False)
    image.save()


def _digest_of(image: FaqImage) -> str | None:
    try:
        with image.image.open("rb") as stored:
            return hashlib.sha256(stored.read()).hexdigest()
    except OSError:
        return None


def _values_out(obj, table: list[Key]) -> dict:
    return {key.cms: getattr(obj, key.field) for key in table}


def _block_out(block: Block) -> dict:
    if block.kind == Block.Kind.FAQ:
        items = [_faq_item_out(entry) for entry in block.entries.all()]
    else:
        items = [_form_item_out(form_field) for form_field in block.fields.all()]
    return {**_values_out(block, BLOCK_KINDS[block.kind]), "items": items, "type": block.kind}


def _faq_item_out(entry: FaqEntry) -> dict:
    item = _values_out(entry, FAQ_ITEM_KEYS)
    return {**item, FAQ_ITEM_HIDE: True} if not entry.is_published else item


def _form_item_out(form_field: FormField) -> dict:
    item = _values_out(form_field, FORM_ITEM_KEYS)
    return (
        {**item, FORM_ITEM_TEXTAREA: True} if form_field.kind == FormField.Kind.TEXTAREA else item
    )


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line Markdown reads best as a literal block, as an editor would write it.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
