"""The template graph of one run: which HTML template has which text twin, and which layouts
and partials each template uses. Built once per run from the templates read, so every
cross-file question is a dictionary look-up, never a scan of the other files.

Twins pair by name (`x.html`/`x.txt`, `x.html.j2`/`x.txt.j2`, `x-body-html.html`/
`x-body-text.html`, `x.mjml`/`x.txt`) and by the `[pairs]` globs of the config.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from ctamap.config import Config
from ctamap.source import FILLER, SpanKind
from ctamap.walk import TemplateFile, display, is_text_name

if TYPE_CHECKING:
    from ctamap.classify import Classifier, Template

# -- Text twins --------------------------------------------------------------------------------

_BODY_MARK = re.compile(r"([-_.])body[-_.](html|text|txt)(?=[-_.]|$)", re.I)
_KIND_PART = frozenset({"html", "htm", "txt", "text", "mjml"})

PairKey = tuple[str, ...]


def pair_key(path: Path) -> PairKey:
    """Folder and name with its html/text markers blanked: equal keys are one message's bodies
    (`welcome.html`, `welcome.txt`, `welcome.mjml` -> `welcome.*`; `x-body-html.html`,
    `x-body-text.html` -> `x-body*.html`; `x.html.j2`, `x.txt.j2` -> `x.*.j2`)."""
    name = _BODY_MARK.sub(r"\1body\1*", path.name)
    parts = name.split(".")
    head, rest = parts[0], parts[1:]
    for marker in ("-html", "_html", "-text", "_text"):
        if head.lower().endswith(marker) and "body" not in head.lower():
            head = head[: -len(marker)] + marker[0] + "*"
    normalised = [head, *("*" if p.lower() in _KIND_PART else p for p in rest)]
    return ("name", str(path.parent), ".".join(normalised))


@dataclass(frozen=True)
class PairRule:
    """One `[pairs]` entry: `"emails/*.mjml" = "text/*.txt"`. Each `*` (and `?`) of the HTML
    glob stands for the same text in the text glob. A glob with a `/` is matched against the
    path from the config's folder, one without against the file name (twins in one folder)."""

    index: int
    html: str
    text: str

    @property
    def by_path(self) -> bool:
        return "/" in self.html or "/" in self.text

    def capture(self, glob: str, name: str) -> tuple[str, ...] | None:
        found = _capturing(glob).fullmatch(name)
        return found.groups() if found else None

    def fill(self, glob: str, captured: tuple[str, ...]) -> str:
        parts = iter(captured)
        return re.sub(r"[*?]", lambda _: next(parts), glob)


@functools.lru_cache(maxsize=64)
def _capturing(glob: str) -> re.Pattern[str]:
    """A glob as a regex with one group per wildcard; `*` stays inside one path segment."""
    out: list[str] = []
    for piece in re.split(r"([*?])", glob):
        if piece == "*":
            out.append("([^/]*)")
        elif piece == "?":
            out.append("([^/])")
        else:
            out.append(re.escape(piece))
    return re.compile("".join(out), re.I if os.path.normcase("A") == "a" else 0)


def pair_rules(config: Config) -> tuple[PairRule, ...]:
    return tuple(PairRule(i, html, text) for i, (html, text) in enumerate(config.pairs.items()))


@dataclass
class Twins:
    """HTML <-> text pairs among the run's templates, and text versions found on disk beside
    an HTML template whose twin was not named (pre-commit passes only the changed files).
    Each folder is listed at most once per run."""

    config: Config
    files: Iterable[TemplateFile]
    _text_by_key: dict[PairKey, TemplateFile] = field(init=False, default_factory=dict)
    _html_by_key: dict[PairKey, TemplateFile] = field(init=False, default_factory=dict)
    _listings: dict[Path, tuple[Path, ...]] = field(init=False, default_factory=dict)
    _rules: tuple[PairRule, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self._rules = pair_rules(self.config)
        for file in sorted(self.files, key=lambda f: f.display):
            index = self._text_by_key if file.is_text else self._html_by_key
            for key in self.keys(file.path, text=file.is_text):
                index.setdefault(key, file)

    def _relative(self, path: Path) -> str | None:
        try:
            return path.relative_to(self.config.root.resolve()).as_posix()
        except ValueError:
            return None

    def keys(self, path: Path, *, text: bool) -> list[PairKey]:
        """Every key `path` pairs under: configured rules first, then the naming convention."""
        keys: list[PairKey] = []
        for rule in self._rules:
            glob = rule.text if text else rule.html
            name = self._relative(path) if rule.by_path else path.name
            captured = rule.capture(glob, name) if name is not None else None
            if captured is not None:
                folder = "" if rule.by_path else str(path.parent)
                keys.append(("rule", str(rule.index), folder, *captured))
        keys.append(pair_key(path))
        return keys

    def text_of(self, file: TemplateFile) -> TemplateFile | None:
        """The text twin of an HTML template: one of the run's files, else one on disk."""
        if file.is_text:
            return None
        keys = self.keys(file.path, text=False)
        for key in keys:
            if key in self._text_by_key:
                return self._text_by_key[key]
        return self._on_disk(file, keys)

    def html_of(self, file: TemplateFile) -> TemplateFile | None:
        """The HTML template a text template is the twin of, among the run's files."""
        if not file.is_text:
            return None
        for key in self.keys(file.path, text=True):
            if key in self._html_by_key:
                return self._html_by_key[key]
        return None

    def _on_disk(self, file: TemplateFile, keys: list[PairKey]) -> TemplateFile | None:
        # Configured rules name the twin's path outright; the convention needs the folder.
        for rule in self._rules:
            name = self._relative(file.path) if rule.by_path else file.path.name
            captured = rule.capture(rule.html, name) if name is not None else None
            if captured is None:
                continue
            base = self.config.root.resolve() if rule.by_path else file.path.parent
            candidate = base / rule.fill(rule.text, captured)
            if candidate.is_file():
                return self._file(candidate)
        wanted = keys[-1]
        for sibling in self._listing(file.path.parent):
            if (
                sibling != file.path
                and is_text_name(sibling.name, self.config)
                and pair_key(sibling) == wanted
            ):
                return self._file(sibling)
        return None

    def _listing(self, folder: Path) -> tuple[Path, ...]:
        if folder not in self._listings:
            try:
                with os.scandir(folder) as entries:
                    found = [Path(e.path) for e in entries if e.is_file()]
            except OSError:
                found = []
            self._listings[folder] = tuple(sorted(found))
        return self._listings[folder]

    def _file(self, path: Path) -> TemplateFile:
        return TemplateFile(path, display(path), path.name, True)


# -- Layouts and partials ------------------------------------------------------------------------

# `{% extends "base.html" %}`, `{% include 'footer.html' with x %}`, Liquid `{% layout 'theme' %}`,
# `{% render 'card' %}`, Jekyll `{% include footer.html %}`: the tag name, then its argument.
# The patterns of this section are compiled by `re` on first use: most templates use none.
_STATEMENT = r"(?s)\{%-?\s*(extends|include|layout|render|include_relative)\s+(.*?)\s*-?%\}\Z"
# Handlebars/Mustache partials: `{{> footer}}`, `{{> "layouts/main" }}`, `{{#> layout}}…`.
_PARTIAL = r"(?s)\{\{~?\s*#?>\s*(.*?)\s*~?\}\}\Z"
_QUOTED = r"""\A(?:\[\s*)?(["'])(.+?)\1"""
# Jekyll's unquoted `{% include footer.html %}` in a file read as Jinja: a name ending in a
# template extension is a file, anything else unquoted is a variable.
_BARE_FILE = r"\A([\w./-]+\.(?:html?|liquid|j2|jinja2?|mjml|hbs|txt))(?=\s|\Z)"
_BARE_NAME = r"\A([\w./-]+)(?=\s|\Z)"
_MJ_INCLUDE = r"(?i)<mj-include\b([^>]*)>"
_ATTRIBUTE = r"""(?s)\b([\w-]+)\s*=\s*(["'])(.*?)\2"""
_HTML_COMMENT = r"(?s)<!--.*?-->"

# Where a layout takes its email's content: `{% block %}`, Shopify's `content_for_layout`,
# Jekyll's `{{ content }}`, Handlebars layouts' `{{{body}}}`: a document that may be a layout.
LAYOUT_SLOT = re.compile(
    r"\{%-?\s*block\b|content_for_layout|\{\{-?\s*content\s*-?\}\}|\{\{\{\s*body\s*\}\}\}"
)

# What a reference makes the target: the page frame an email is poured into, or a piece of it.
ReferenceKind = Literal["extends", "include", "layout", "render", "partial", "mj-include"]
_KIND_OF_TAG: dict[str, ReferenceKind] = {
    "extends": "extends",
    "include": "include",
    "include_relative": "include",
    "layout": "layout",
    "render": "render",
}


class Reference(NamedTuple):
    """One place where a template pulls in another: `{% extends "base.html" %}` on line 1."""

    kind: ReferenceKind
    name: str  # as written: "base.html", "footer", "./header.mjml"
    line: int  # 1-based
    relative: bool  # resolved from the including file's folder (MJML, Django `./x`, Jekyll
    #                 include_relative), else from the template roots
    start: int = 0  # offset of the tag in the source (the click map composes emails there)


def references(template: Template) -> tuple[Reference, ...]:
    """Every literal layout or partial name `template` uses, in document order. A name that is
    an expression (`{% extends layout_name %}`, `{{> (lookup . 'x') }}`) cannot be followed."""
    source = template.scan.source
    found: list[tuple[int, Reference]] = []
    for span in source.spans:
        if span.kind is SpanKind.COMMENT:
            continue
        tag = source.text[span.start : span.end]
        if tag.startswith("{%"):
            statement = re.match(_STATEMENT, tag)
            if statement is None:
                continue
            word, argument = statement.groups()
            name = _literal_name(argument, bare=source.syntax == "liquid")
            if name is None or (word == "layout" and name == "none"):
                continue
            relative = word == "include_relative" or name.startswith(("./", "../"))
            line = source.position(span.start)[0]
            ref = Reference(_KIND_OF_TAG[word], name, line, relative, span.start)
            found.append((span.start, ref))
        elif tag.startswith("{{"):
            partial = re.match(_PARTIAL, tag)
            if partial is None:
                continue
            name = _literal_name(partial.group(1), bare=True)
            if name is not None:
                line = source.position(span.start)[0]
                ref = Reference("partial", name, line, False, span.start)
                found.append((span.start, ref))
    if "<mj-include" in source.masked:
        comments = [(m.start(), m.end()) for m in re.finditer(_HTML_COMMENT, source.masked)]
        for include in re.finditer(_MJ_INCLUDE, source.masked):
            if any(a <= include.start() < b for a, b in comments):
                continue
            attributes = {k.lower(): v for k, _, v in re.findall(_ATTRIBUTE, include.group(1))}
            path = attributes.get("path", "")
            if not path or FILLER in path or attributes.get("type", "mjml") == "css":
                continue
            line = source.position(include.start())[0]
            ref = Reference("mj-include", path, line, True, include.start())
            found.append((include.start(), ref))
    return tuple(ref for _, ref in sorted(found, key=lambda item: item[0]))


def _literal_name(argument: str, *, bare: bool) -> str | None:
    quoted = re.match(_QUOTED, argument)
    if quoted:
        return quoted.group(2)
    if bare:  # Liquid/Jekyll and Handlebars write names without quotes
        plain = re.match(_BARE_NAME, argument)
        return plain.group(1) if plain else None
    plain = re.match(_BARE_FILE, argument)
    return plain.group(1) if plain else None


# Where each engine looks a name up, below a template root: (folders, extensions tried when the
# name has none). Jinja and Django take names as written from the loader's folder; Shopify
# Liquid reads `layout/x.liquid` and `snippets/x.liquid`, Jekyll `_layouts/` and `_includes/`,
# LiquidJS adds `.liquid`; Handlebars partials are registered by file name, usually from a
# `partials/` folder; MJML resolves from the including file and adds `.mjml`.
_LOOKUP: dict[ReferenceKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "extends": (("",), ()),
    "include": (("", "snippets/", "_includes/", "includes/", "partials/"), (".liquid", ".html")),
    "layout": (("layout/", "layouts/", "_layouts/", ""), (".liquid", ".html")),
    "render": (("snippets/", "", "partials/"), (".liquid",)),
    "partial": (
        ("", "partials/", "_partials/", "layouts/"),
        (".hbs", ".handlebars", ".mustache", ".html"),
    ),
    "mj-include": (("",), (".mjml",)),
}


def candidates(ref: Reference, folder: Path, roots: tuple[Path, ...]) -> list[Path]:
    """The paths `ref` may name, in the order the engine would try them."""
    folders, extensions = _LOOKUP[ref.kind]
    bases = (folder,) if ref.relative else roots
    has_extension = "." in ref.name.rsplit("/", 1)[-1]
    names = [ref.name] if has_extension else [ref.name, *(ref.name + e for e in extensions)]
    return [base / sub / name for base in bases for sub in folders for name in names]


def template_roots(folder: Path, root: Path) -> tuple[Path, ...]:
    """Where a template in `folder` may be named from: `folder`, then each folder above it up
    to the config's folder (a Jinja loader root is one of them: `templates/`, `emails/`)."""
    roots = [folder]
    for parent in folder.parents:
        if not parent.is_relative_to(root):
            break
        roots.append(parent)
    return tuple(roots)


class TemplateGraph:
    """Who uses whom among the run's templates: extends/include/layout/render/partials/
    mj-include, resolved to files. A used file that the run did not name is read from disk
    (pre-commit names only changed files; `inventory --by-email` shows the whole email)."""

    def __init__(
        self,
        templates: Iterable[tuple[TemplateFile, Template]],
        config: Config,
        load: Callable[[TemplateFile], Template | None],
    ) -> None:
        self.config = config
        self._root = config.root.resolve()
        self._load = load
        self._files: dict[Path, TemplateFile] = {}
        self._templates: dict[Path, Template | None] = {}
        self._in_run: list[Path] = []
        for file, template in templates:
            self._files[file.path] = file
            self._templates[file.path] = template
            self._in_run.append(file.path)
        self._uses: dict[Path, tuple[tuple[Reference, Path], ...]] = {}
        self._used_by: dict[Path, list[Path]] = {}
        self._exists: dict[Path, bool] = {}
        pending = list(self._in_run)
        while pending:  # the run's files, then what they use, each once
            path = pending.pop()
            if path in self._uses:
                continue
            edges = tuple(self._resolve(path))
            self._uses[path] = edges
            for _, target in edges:
                self._used_by.setdefault(target, []).append(path)
                if target not in self._uses:
                    pending.append(target)

    @classmethod
    def of(
        cls,
        templates: Iterable[tuple[TemplateFile, Template]],
        config: Config,
        classifier: Classifier | None = None,
    ) -> TemplateGraph:
        """The graph of `templates`, reading used files the run did not name with the same
        pipeline (an unreadable one is left out: it is reported when it is itself read)."""
        from ctamap.classify import Classifier
        from ctamap.errors import InputError
        from ctamap.pipeline import load_one

        reader = classifier or Classifier(config)

        def load(file: TemplateFile) -> Template | None:
            try:
                return load_one(file, reader)
            except InputError:
                return None

        return cls(templates, config, load)

    def _resolve(self, path: Path) -> Iterable[tuple[Reference, Path]]:
        template = self._template(path)
        if template is None or template.is_text:
            return
        yield from self._edges(path, template)

    def _edges(self, path: Path, template: Template) -> Iterable[tuple[Reference, Path]]:
        folder = path.parent
        roots = template_roots(folder, self._root)
        for ref in references(template):
            for candidate in candidates(ref, folder, roots):
                if self._is_file(candidate):
                    target = candidate.resolve()
                    if target != path:
                        yield ref, target
                    break

    def _is_file(self, path: Path) -> bool:
        if path in self._files:
            return True
        if path not in self._exists:
            self._exists[path] = path.is_file()
        return self._exists[path]

    def _template(self, path: Path) -> Template | None:
        if path not in self._templates:
            file = self.file(path)
            self._templates[path] = self._load(file)
        return self._templates[path]

    def file(self, path: Path) -> TemplateFile:
        """The run's record for `path`, or one made for a file read from disk."""
        if path not in self._files:
            text = is_text_name(path.name, self.config)
            self._files[path] = TemplateFile(path, display(path), path.name, text)
        return self._files[path]

    def template(self, file: TemplateFile) -> Template | None:
        """The scanned template of `file` (None when it could not be read)."""
        return self._template(file.path)

    def references(self, file: TemplateFile) -> tuple[tuple[Reference, TemplateFile], ...]:
        """What `file` uses directly, resolved, in document order."""
        return tuple((ref, self.file(target)) for ref, target in self._uses.get(file.path, ()))

    def is_layout(self, file: TemplateFile) -> bool:
        """Another template extends or includes `file`: it is a layout or a partial."""
        return bool(self._used_by.get(file.path))

    def uses(self, file: TemplateFile) -> tuple[TemplateFile, ...]:
        """Every layout and partial `file` uses, transitively, each once, in document order
        (a layout's own partials right after it); a cycle is followed once."""
        seen: dict[Path, None] = {}

        def visit(path: Path) -> None:
            for _, target in self._uses.get(path, ()):
                if target not in seen and target != file.path:
                    seen[target] = None
                    visit(target)

        visit(file.path)
        return tuple(self.file(path) for path in seen)

    def text_references(
        self, file: TemplateFile, template: Template
    ) -> tuple[tuple[Reference, TemplateFile], ...]:
        """What the text version `file` uses directly (`{% extends "base.txt" %}`), resolved,
        in document order: read when asked, like `text_parts`."""
        return tuple((ref, self.file(target)) for ref, target in self._edges(file.path, template))

    def text_parts(self, file: TemplateFile, template: Template) -> tuple[Template, ...]:
        """The layouts and partials a text version uses (`{% extends "base.txt" %}`), read
        when asked: text versions are kept out of the graph of HTML emails and their layouts."""
        seen: dict[Path, Template] = {}
        pending = [(file.path, template)]
        while pending:
            path, current = pending.pop()
            for _, target in self._edges(path, current):
                if target in seen or target == file.path:
                    continue
                found = self._template(target)
                if found is not None:
                    seen[target] = found
                    pending.append((target, found))
        return tuple(seen.values())

    def emails_using(self, file: TemplateFile) -> tuple[TemplateFile, ...]:
        """The emails (templates of the run that no other template uses) that use `file`,
        directly or through other layouts, sorted as shown."""
        seen: set[Path] = set()
        stack = list(self._used_by.get(file.path, ()))
        while stack:
            path = stack.pop()
            if path in seen or path == file.path:
                continue
            seen.add(path)
            stack.extend(self._used_by.get(path, ()))
        emails = [self.file(p) for p in seen if not self._used_by.get(p) and p in self._run]
        return tuple(sorted(emails, key=lambda f: f.display))

    def emails(self) -> tuple[TemplateFile, ...]:
        """The run's templates that no other template uses, as shown."""
        found = [self.file(p) for p in self._in_run if not self._used_by.get(p)]
        return tuple(sorted(found, key=lambda f: f.display))

    @functools.cached_property
    def _run(self) -> frozenset[Path]:
        return frozenset(self._in_run)


__all__ = [
    "LAYOUT_SLOT",
    "PairRule",
    "Reference",
    "TemplateGraph",
    "Twins",
    "candidates",
    "pair_key",
    "pair_rules",
    "references",
    "template_roots",
]
