"""Template syntax rule (S001) and the suppression-hygiene notice (M001).

Neither inspects a scanned template: S001 is raised by the loader (a file whose template tags do
not balance cannot be scanned) and M001 by the suppression bookkeeping. They are registered here
so that selection, severity, `ctamap rules` and SARIF treat them like every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from ctamap.rules.base import Hit, Severity, rule
from ctamap.rules.context import Context


@rule("S001", "template-syntax-error", Severity.ERROR)
def template_syntax_error(ctx: Context) -> Iterator[Hit]:
    """A template tag that is not closed or not balanced.

    ## What it does
    Reports a file whose template syntax cannot be read: an unclosed `{{ … }}` or `{% … %}`,
    an `{% endif %}` without its `{% if %}`, an `{% if %}` never closed, a Handlebars
    `{{#each}}` without `{{/each}}`, an unclosed AMPscript `%%[ … ]%%`. The line is where
    the problem was found. No other rule runs on such a file.

    Valid templates are never S001: a `{% name %}` of a custom tag library is a block when an
    `{% endname %}` closes it (`{% cell %}…{% endcell %}`) and a plain tag otherwise
    (`{% site_name %}`); Liquid (`*.liquid`, `template_syntax = "liquid"`, or a file using
    Liquid-only tags such as `{% assign %}`) is read as leniently as Shopify renders it; ESP
    tags (SendGrid `<%asm_group_unsubscribe_raw_url%>`, Mailgun `%recipient.name%`, Braze
    `{{${first_name}}}`, Mailchimp `*|TAG|*`, AMPscript) are recognised as they are.

    In `ctamap audit` S001 is a finding like any other (exit 1, `--exit-zero` makes it 0), as
    ruff, ESLint and yamllint report parse errors of the files they lint. When S001 is not
    selected for the file, the file is reported as input that could not be audited (exit 2),
    so it is never skipped in silence. `ctamap instrument` leaves the file untouched, says why
    on stderr and exits 2; with `--out-dir` it copies the file unchanged into the mirror, so the
    build folder is complete.

    ## Why it matters
    The ESP rejects the template at send time, or — worse — renders the raw tags to every
    reader. ctamap cannot tell which links are inside which block, so it cannot audit or
    instrument the file safely.

    ## Example
    ```html
    {% if user.is_trial %}
      <a href="https://app.example.com/upgrade">Upgrade</a>
    ```

    ## Fix
    Close the tag or block:
    ```html
    {% if user.is_trial %}
      <a href="https://app.example.com/upgrade">Upgrade</a>
    {% endif %}
    ```
    """
    return iter(())  # reported by the audit runner from the loader's TemplateSyntaxError


@rule("M001", "unused-suppression", Severity.NOTICE)
def unused_suppression(ctx: Context) -> Iterator[Hit]:
    """A suppression comment that suppresses nothing.

    ## What it does
    Reports `<!-- ctamap: disable=CODE -->`, `<!-- ctamap: disable-next-line=CODE -->` and
    `{# ctamap: disable=CODE #}` comments (per code) that did not silence any finding in this
    run. Codes that were not selected in this run are not reported.

    ## Why it matters
    A stale suppression hides the next real problem of that kind at that place; a suppression
    with a typo in its code never worked in the first place.

    ## Example
    ```html
    <!-- ctamap: disable-next-line=L006 -->
    <a href="https://www.example.com/guide">Read the setup guide</a>
    ```

    ## Fix
    Delete the comment, or correct its code.
    """
    return iter(())  # reported by the audit runner, which knows what each comment silenced
