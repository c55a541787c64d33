"""A first look at a template folder ctamap has never seen, for `ctamap init`: its templates,
the domains their links point to, the template syntax they are written in and how their text
versions are named. Reads only; `starter.py` turns a survey into a config."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ctamap.config import Config
from ctamap.errors import InputError

# Roles whose destination says whose site the email sends readers to. Unsubscribe and
# preference links often go to the email service's domain, so they do not vote. Under the
# defaults a platform link is `third-party`: it is counted, and shown as a platform.
_VOTING_ROLES = frozenset({"cta", "honeypot", "third-party"})
# At most this many domains are proposed, each with at least this share of the top one's links.
_MAX_PROPOSED = 5
_SHARE_OF_TOP = 0.1

# Signs of one template language, tried in order; the first that matches names the file's.
# ESP merge tags first: a Mailchimp template may also contain stray braces.
_SYNTAX_SIGNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mailchimp", re.compile(r"\*\|[A-Z_][A-Z0-9_:]*\|\*")),
    ("ampscript", re.compile(r"%%\[|%%=")),
    ("django", re.compile(r"\{%-?\s*(?:load|url|static|csrf_token|now|firstof|cycle)\b")),
)


_JINJA_STATEMENT = re.compile(r"\{[%#]")
_CURLY_FAMILIES = frozenset({"jinja", "django", "liquid", "handlebars"})


@dataclass(frozen=True)
class DomainCount:
    """How often the templates link to one registrable domain."""

    domain: str
    links: int  # CTAs pointing there (a VML button and its `<a>` fallback count once)
    templates: int  # templates with at least one of them
    platform: bool  # a well-known social, video, app-store or meeting site
    shortener: bool  # a URL shortener: never tracked


@dataclass(frozen=True)
class Survey:
    """What `ctamap init` found in one folder."""

    folder: Path  # resolved
    html: int  # HTML templates (.html, .mjml, .j2 …)
    text: int  # text versions
    homes: tuple[str, ...]  # the folders the templates are in, relative to `folder` ("." itself)
    domains: tuple[DomainCount, ...]  # most linked first
    syntax: str  # the template_syntax to write: one family, or "auto" when they are mixed
    syntaxes: tuple[tuple[str, int], ...]  # (family, files), most files first; "none" too
    twins: int  # HTML templates with a text version
    twin_naming: tuple[tuple[str, int], ...]  # ("x.html ↔ x.txt", pairs), most pairs first
    pairs: tuple[tuple[str, str], ...]  # proposed [pairs] globs for twins in other folders
    unreadable: tuple[InputError, ...]  # templates that could not be read (still listed)

    @property
    def templates(self) -> int:
        return self.html + self.text

    @property
    def proposed_domains(self) -> tuple[str, ...]:
        """The most linked registrable domains, platforms and shorteners left out."""
        own = [d for d in self.domains if not d.platform and not d.shortener]
        if not own:
            return ()
        floor = max(2, own[0].links * _SHARE_OF_TOP)
        chosen = [own[0], *(d for d in own[1:] if d.links >= floor)]
        return tuple(d.domain for d in chosen[:_MAX_PROPOSED])


def survey(folder: Path) -> Survey:
    """Survey the templates below `folder` (walked as `ctamap audit` walks it, with the default
    globs: hidden folders and what git ignores are skipped)."""
    from ctamap.classify import SHORTENERS, registrable_domain
    from ctamap.graph import Twins
    from ctamap.pipeline import load
    from ctamap.platforms import is_platform
    from ctamap.walk import collect

    root = folder.resolve()
    # The defaults: every web domain but the platforms counts as first-party, so every CTA's
    # host is counted (platform links as `third-party`).
    config = Config(root=root)
    files = collect([root], config)
    loaded = load(files, config)
    links: Counter[str] = Counter()
    templates: Counter[str] = Counter()
    syntaxes: Counter[str] = Counter()
    for _, template in loaded.templates:
        domains = [
            registrable_domain(cta.host)
            for cta in template.ctas
            if cta.host and cta.role in _VOTING_ROLES and not _is_local(cta.host)
        ]
        links.update(domains)
        templates.update(set(domains))
        syntaxes[_syntax_of(template.scan.source.text, template.path)] += 1
    counts = tuple(
        DomainCount(
            domain,
            number,
            templates[domain],
            platform=is_platform(domain),
            shortener=domain in SHORTENERS,
        )
        for domain, number in sorted(links.items(), key=lambda item: (-item[1], item[0]))
    )
    twins = Twins(config, files)
    naming: Counter[str] = Counter()
    paired_text: set[Path] = set()
    lonely_html = []
    for file in files:
        if file.is_text:
            continue
        twin = twins.text_of(file)
        if twin is None:
            lonely_html.append(file.path)
        else:
            paired_text.add(twin.path)
            naming[_naming(file.path.name, twin.path.name)] += 1
    lonely_text = [f.path for f in files if f.is_text and f.path not in paired_text]
    pairs = _folder_pairs(root, lonely_html, lonely_text)
    html = sum(1 for f in files if not f.is_text)
    return Survey(
        folder=root,
        html=html,
        text=len(files) - html,
        homes=tuple(sorted({_home(root, f.path) for f in files})),
        domains=counts,
        syntax=_one_syntax(syntaxes),
        syntaxes=tuple(sorted(syntaxes.items(), key=lambda item: (-item[1], item[0]))),
        twins=sum(naming.values()) + sum(n for _, _, n in pairs),
        twin_naming=tuple(sorted(naming.items(), key=lambda item: (-item[1], item[0]))),
        pairs=tuple((h, t) for h, t, _ in pairs),
        unreadable=loaded.errors,
    )


def _is_local(host: str) -> bool:
    """localhost, a bare name or an IP address: nobody's registrable domain."""
    return "." not in host or host.endswith(".localhost") or bool(re.fullmatch(r"[\d.:]+", host))


def _syntax_of(text: str, path: str) -> str:
    from ctamap.source import detect_syntax

    for name, sign in _SYNTAX_SIGNS:
        if sign.search(text):
            return name
    found = detect_syntax(text, path)
    # Only `{{ x }}`: any curly-brace family reads it the same; it does not vote for jinja.
    return "curly" if found == "jinja" and not _JINJA_STATEMENT.search(text) else found


def _one_syntax(found: Counter[str]) -> str:
    """The family every templated file shares; "auto" (detect per file) when they differ or no
    file has template tags. Files with only `{{ x }}` fit any curly-brace family."""
    families = set(found) - {"none", "curly"}
    if len(families) != 1:
        return "auto"
    family = families.pop()
    if "curly" in found and family not in _CURLY_FAMILIES:
        return "auto"
    return family


def _home(root: Path, path: Path) -> str:
    parent = path.parent.relative_to(root).as_posix()
    return parent.split("/", 1)[0] if parent != "." else "."


def _naming(html: str, text: str) -> str:
    """`content.html`, `content.txt` -> `x.html ↔ x.txt`: the shared stem written as x."""
    # Characters, not path parts: the two names share the stem up to a separator.
    common = os.path.commonprefix([html, text])  # noqa: RUF071
    cut = max(common.rfind(sep) for sep in ".-_") if common else -1
    if cut <= 0:
        return f"{html} ↔ {text}"
    return f"x{html[cut:]} ↔ x{text[cut:]}"


def _stem(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _folder_pairs(root: Path, html: list[Path], text: list[Path]) -> list[tuple[str, str, int]]:
    """`[pairs]` globs for text versions kept in another folder under the same name
    (`html/welcome.html` ↔ `text/welcome.txt`): (HTML glob, text glob, pairs), each found at
    least twice."""
    by_stem: dict[tuple[str, str], Path] = {}
    for path in text:
        by_stem.setdefault((_stem(path), path.suffix), path)
    found: Counter[tuple[str, str]] = Counter()
    for path in html:
        for (stem, suffix), twin in by_stem.items():
            if stem != _stem(path) or twin.parent == path.parent:
                continue
            html_glob = _in_folder(root, path.parent, f"*{path.name[len(stem) :]}")
            found[(html_glob, _in_folder(root, twin.parent, f"*{suffix}"))] += 1
    return [(h, t, n) for (h, t), n in found.most_common() if n >= 2]


def _in_folder(root: Path, folder: Path, glob: str) -> str:
    relative = folder.relative_to(root).as_posix()
    return glob if relative == "." else f"{relative}/{glob}"
