"""The template graph of one run: which HTML template has which text twin, and (below) which
layouts and partials each template uses. Built once per run from the templates read, so every
cross-file question is a dictionary look-up, never a scan of the other files.

Twins pair by name (`x.html`/`x.txt`, `x.html.j2`/`x.txt.j2`, `x-body-html.html`/
`x-body-text.html`, `x.mjml`/`x.txt`) and by the `[pairs]` globs of the config.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ctamap.config import Config
from ctamap.walk import TemplateFile, display, is_text_name

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


__all__ = ["PairRule", "Twins", "pair_key", "pair_rules"]
