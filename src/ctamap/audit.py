"""Run the selected rules over loaded templates and settle what is reported.

Selection (`--select`/`--ignore`, `[audit] select/ignore/per_file_ignores`), severity overrides
and inline suppressions are applied here, once, so rules only ever say what they see.
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from ctamap.classify import Classifier
from ctamap.config import Config
from ctamap.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, ConfigError, InputError
from ctamap.rules import RULES, Context, Finding, Project, Rule, Severity, catalogue, suppress
from ctamap.source import TemplateSyntaxError
from ctamap.walk import TemplateFile
from ctamap.workspace import collect_all, load_workspace


def _check_code(entry: str, where: str, path: str | None = None) -> str:
    """An upper-cased code or code prefix (`L`, `L00`, `L006`, `ALL`), or a ConfigError."""
    code = entry.strip().upper()
    if code == "ALL" or (any(known.startswith(code) for known in RULES) and code):
        return code
    close = difflib.get_close_matches(code, list(RULES), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ConfigError(
        f"{where}: unknown rule code '{entry}'{hint}; `ctamap rules` lists them", path=path
    )


def _specificity(code: str, patterns: Iterable[str]) -> int:
    """Length of the longest pattern matching `code` (ALL matches with length 0); -1 if none."""
    best = -1
    for pattern in patterns:
        if pattern == "ALL":
            best = max(best, 0)
        elif code.startswith(pattern):
            best = max(best, len(pattern))
    return best


# Records are NamedTuples (immutable, typed): a third of a frozen dataclass's cost to define,
# which a pre-commit call pays at import.
class Selection(NamedTuple):
    """Which codes run, ruff-style: the most specific of select/ignore wins, ignore on a tie."""

    root: Path  # the config's folder: per-file globs match paths relative to it
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_file: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()

    @classmethod
    def resolve(
        cls,
        config: Config,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
    ) -> Selection:
        """Command-line `--select` replaces the config's; `--ignore` adds to it."""
        audit = config.audit
        origin = None if config.origin == "defaults" else config.origin
        if select:
            chosen = tuple(_check_code(c, "--select") for c in select)
        else:
            chosen = tuple(_check_code(c, "audit.select", origin) for c in audit.select)
        return cls(
            select=chosen or ("ALL",),
            ignore=(
                *(_check_code(c, "audit.ignore", origin) for c in audit.ignore),
                *(_check_code(c, "--ignore") for c in ignore),
            ),
            per_file=tuple(
                (
                    glob,
                    tuple(
                        _check_code(c, f"audit.per_file_ignores '{glob}'", origin) for c in codes
                    ),
                )
                for glob, codes in audit.per_file_ignores.items()
            ),
            severity=tuple(
                (_check_code(code, "audit.severity", origin), Severity(level))
                for code, level in audit.severity.items()
            ),
            root=config.root,
        )

    def enabled(self, code: str) -> bool:
        chosen = _specificity(code, self.select)
        return chosen >= 0 and chosen > _specificity(code, self.ignore)

    def enabled_for(self, code: str, file: TemplateFile) -> bool:
        return code in self.codes_for(file)

    def codes_for(self, file: TemplateFile) -> frozenset[str]:
        """The codes that run on one file: selected, and not ignored for it by a glob."""
        codes = {code for code in RULES if self.enabled(code)}
        if self.per_file:
            names = _names(file, self.root)  # resolved once per file: paths are slow to resolve
            for glob, ignored in self.per_file:
                if any(fnmatch.fnmatch(name, glob) for name in names):
                    codes = {c for c in codes if _specificity(c, ignored) < 0}
        return frozenset(codes)

    def severity_of(self, rule: Rule) -> Severity:
        best, level = -1, rule.severity
        for pattern, severity in self.severity:
            found = _specificity(rule.code, (pattern,))
            if found > best:
                best, level = found, severity
        return level


def _names(file: TemplateFile, root: Path) -> tuple[str, ...]:
    """The names a per-file glob may match: path from the config root, as shown, bare name."""
    names = [file.display, file.path.name]
    with contextlib.suppress(ValueError):  # a file outside the config's folder
        names.append(file.path.resolve().relative_to(root.resolve()).as_posix())
    return tuple(names)


class AuditResult(NamedTuple):
    """Everything one audit run found."""

    findings: tuple[Finding, ...]  # sorted by path, line, column, code
    files: tuple[str, ...]  # every file looked at, as shown, including unreadable ones
    errors: tuple[InputError, ...] = ()  # files that could not be audited at all
    notices: tuple[str, ...] = ()  # see `Workspace.notices`

    @property
    def exit_code(self) -> int:
        """The worst over all files: 2 when a file could not be audited, 1 for findings.
        A template syntax error is a finding (S001), as ruff and ESLint report parse errors."""
        if self.errors:
            return EXIT_ERROR
        if any(f.severity.fails for f in self.findings):
            return EXIT_FINDINGS
        return EXIT_OK


def _finding(
    rule: Rule, selection: Selection, path: str, line: int, column: int, message: str
) -> Finding:
    return Finding(path, line, column, rule.code, rule.name, selection.severity_of(rule), message)


def audit_template(ctx: Context, selection: Selection) -> list[Finding]:
    """The findings of one template, with its suppressions applied."""
    path = ctx.file.display
    enabled = selection.codes_for(ctx.file)
    found: list[Finding] = []
    for rule in catalogue():
        if rule.code not in enabled:
            continue
        for hit in rule.check(ctx):
            found.append(
                _finding(rule, selection, path, hit.line, hit.column, hit.message)._replace(
                    fixes=hit.fixes
                )
            )
    suppressions = suppress.parse(ctx.text)
    if not suppressions:
        return found
    used: set[int] = set()
    kept: list[Finding] = []
    for finding in found:
        silenced = [i for i, s in enumerate(suppressions) if s.covers(finding.code, finding.line)]
        used.update(silenced)
        if not silenced:
            kept.append(finding)
    unused_rule = RULES["M001"]
    if unused_rule.code in enabled:
        for index, item in enumerate(suppressions):
            known = not item.code or any(code.startswith(item.code) for code in RULES)
            # A suppression of codes that did not run here cannot be judged: say nothing.
            ran = any(code.startswith(item.code) for code in enabled - {unused_rule.code})
            if index in used or (known and not ran):
                continue
            why = "suppresses nothing here" if known else "names no known rule"
            kept.append(
                _finding(
                    unused_rule,
                    selection,
                    path,
                    item.line,
                    item.column,
                    f"suppression of {item.shown} on line {item.line} {why}: remove it",
                )
            )
    return kept


def audit(
    files: Sequence[TemplateFile],
    config: Config,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    map_path: Path | None = None,
) -> AuditResult:
    """Audit `files` under `config`: every readable file is audited even when others fail."""
    selection = Selection.resolve(config, select, ignore)
    # The same plans `instrument` would apply: T001 and P001 report exactly what it would change.
    workspace = load_workspace(files, config, map_path=map_path)
    templates = tuple(
        (f, plan.template) for f, plan in zip(workspace.files, workspace.plans, strict=True)
    )
    project = Project(
        config,
        templates,
        Classifier(config),
        plans=dict(zip(workspace.files, workspace.plans, strict=True)),
        linkmap=workspace.linkmap,
        built_graph=workspace.graph,
    )
    findings: list[Finding] = []
    for file, template in templates:
        findings.extend(audit_template(Context(file, template, project), selection))
    errors: list[InputError] = []
    by_display = {f.display: f for f in files}
    syntax_rule = RULES["S001"]
    for error in workspace.errors:
        failed = by_display.get(error.path or "")
        if (
            isinstance(error, TemplateSyntaxError)
            and failed is not None
            and selection.enabled_for(syntax_rule.code, failed)
        ):
            findings.append(
                _finding(syntax_rule, selection, failed.display, error.line or 1, 1, error.message)
            )
        else:
            # Unreadable, or S001 deselected: the file was not audited, and nobody may miss it.
            errors.append(error)
    return AuditResult(
        tuple(sorted(findings, key=lambda f: f.sort_key)),
        tuple(f.display for f in files),
        tuple(errors),
        workspace.notices,
    )


def run(
    paths: Sequence[Path],
    config: Config,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    map_path: Path | None = None,
) -> AuditResult:
    """`ctamap audit`: collect the templates named by `paths` and audit them."""
    files, missing = collect_all(list(paths), config)
    result = audit(files, config, select=select, ignore=ignore, map_path=map_path)
    if not missing:
        return result
    return result._replace(
        files=tuple(sorted({*result.files, *(e.path or "" for e in missing)})),
        errors=(*missing, *result.errors),
    )


def combined(results: Sequence[AuditResult]) -> AuditResult:
    """One result for runs over PATHs governed by different configs."""
    if len(results) == 1:
        return results[0]
    return AuditResult(
        tuple(sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key)),
        tuple(sorted({name for r in results for name in r.files})),
        tuple(e for r in results for e in r.errors),
        tuple(n for r in results for n in r.notices),
    )
