"""Document-level rules judge the composed email (the template plus the layouts and partials it
uses), in a real git repository, through the CLI as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import git

BASE = (
    '<html><body><a href="https://example.com/">Logo</a>'
    "{% block content %}{% endblock %}<p>Example Inc.</p></body></html>\n"
)
WELCOME = (
    '{% extends "layouts/base.html.j2" %}{% block content %}<p>Welcome!</p> '
    '<a href="<%asm_group_unsubscribe_raw_url%>">Unsubscribe</a>{% endblock %}\n'
)
RECEIPT = '{% extends "layouts/base.html.j2" %}{% block content %}<p>Paid.</p>{% endblock %}\n'


def _ctamap(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("ctamap")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ctamap"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)


def _repo(root: Path, files: dict[str, str]) -> Path:
    git(root, "init", "-q")
    (root / "ctamap.toml").write_text('first_party_domains = ["example.com"]\n', "utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _audit(repo: Path, *args: str, select: str = "L009") -> subprocess.CompletedProcess[str]:
    return _ctamap(repo, "audit", *(args or (".",)), "--select", select)


def test_layout_whose_every_email_has_an_unsubscribe_is_clean(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"layouts/base.html.j2": BASE, "emails/welcome.html.j2": WELCOME})
    done = _audit(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "L009" not in done.stdout


def test_the_email_without_one_is_named_with_its_layout(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "layouts/base.html.j2": BASE,
            "emails/welcome.html.j2": WELCOME,
            "emails/receipt.html.j2": RECEIPT,
        },
    )
    done = _audit(repo)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if "L009" in line]
    # On the email a recipient gets, at its `{% extends %}`, naming the layout: not on the layout.
    assert lines == [
        "emails/receipt.html.j2:1:1: L009 email has no unsubscribe link: neither it nor its "
        "layout layouts/base.html.j2 has one; add one to this email's blocks or to the footer "
        "of layouts/base.html.j2"
    ]


def test_an_unsubscribe_in_the_layout_footer_covers_its_emails(tmp_path: Path) -> None:
    footer = BASE.replace("<p>Example Inc.</p>", '<a href="{{ unsubscribe_url }}">Unsubscribe</a>')
    repo = _repo(tmp_path, {"layouts/base.html.j2": footer, "emails/receipt.html.j2": RECEIPT})
    assert _audit(repo).returncode == 0
    # Pre-commit names only the changed email: its layout is read from disk.
    assert _audit(repo, "emails/receipt.html.j2").returncode == 0


def test_an_unsubscribe_in_an_included_partial_counts(tmp_path: Path) -> None:
    email = '<html><body><p>News</p>{% include "partials/footer.html.j2" %}</body></html>\n'
    repo = _repo(
        tmp_path,
        {
            "emails/news.html.j2": email,
            "partials/footer.html.j2": '<a href="*|UNSUB|*">Unsubscribe</a>\n',
        },
    )
    assert _audit(repo).returncode == 0
    assert _audit(repo, "emails/news.html.j2").returncode == 0


def test_a_standalone_document_keeps_its_finding_at_the_body(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"emails/sale.html": "<html>\n  <body><p>Sale</p></body></html>\n"})
    done = _audit(repo)
    assert done.returncode == 1
    assert "emails/sale.html:2:3: L009 HTML document has no unsubscribe link" in done.stdout


def test_a_layout_that_waives_l009_waives_it_for_its_emails(tmp_path: Path) -> None:
    waived = "{# ctamap: disable=L009 #}\n" + BASE  # a transactional layout
    repo = _repo(tmp_path, {"layouts/base.html.j2": waived, "emails/receipt.html.j2": RECEIPT})
    done = _audit(repo, select="L009,M001")
    assert done.returncode == 0, done.stdout
    assert "L009" not in done.stdout and "M001" not in done.stdout


@pytest.mark.parametrize("count, code", [(1, 0), (2, 0)])
def test_t007_names_one_template_in_the_singular(tmp_path: Path, count: int, code: int) -> None:
    files = {"layouts/base.html.j2": BASE, "emails/welcome.html.j2": WELCOME}
    if count == 2:
        files["emails/receipt.html.j2"] = RECEIPT
    repo = _repo(tmp_path, files)
    done = _ctamap(repo, "audit", ".", "--select", "T007", "--exit-zero")
    assert done.returncode == code
    wanted = "for 1 template that uses it:" if count == 1 else "for 2 templates that use it:"
    assert wanted in done.stdout, done.stdout


PIXEL = '<img src="https://t.example.com/o.gif" width="1" height="1" alt="" data-ctamap-pixel>'


def test_p002_an_email_pixel_on_top_of_its_layout_pixel(tmp_path: Path) -> None:
    layout = BASE.replace("<body>", "<body>" + PIXEL)
    email = RECEIPT.replace("<p>Paid.</p>", PIXEL + "<p>Paid.</p>")
    repo = _repo(tmp_path, {"layouts/base.html.j2": layout, "emails/receipt.html.j2": email})
    done = _audit(repo, select="P002")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(
        "emails/receipt.html.j2:1:56: P002 second open pixel in the composed email: "
        "layouts/base.html.j2 (which it uses) has one already"
    ), done.stdout
    # One pixel, in the layout: clean.
    (repo / "emails/receipt.html.j2").write_text(RECEIPT, "utf-8")
    assert _audit(repo, select="P002").returncode == 0


def test_t006_counts_the_layout_links_with_the_email(tmp_path: Path) -> None:
    links = "".join(f'<a href="https://example.com/{i}">Page {i}</a>' for i in range(3))
    layout = BASE.replace("<p>Example Inc.</p>", links)
    email = RECEIPT.replace("<p>Paid.</p>", links.replace("example.com/", "example.com/e"))
    repo = _repo(tmp_path, {"layouts/base.html.j2": layout, "emails/receipt.html.j2": email})
    (repo / "ctamap.toml").write_text(
        'first_party_domains = ["example.com"]\n[audit]\nmax_ctas = 5\n', "utf-8"
    )
    done = _audit(repo, select="T006")
    # A notice: reported, exit 0; on the email, at its extends, with each part's count.
    assert done.returncode == 0
    assert done.stdout.strip() == (
        "emails/receipt.html.j2:1:1: T006 the composed email has 7 CTAs (3 in "
        "emails/receipt.html.j2, 4 in layouts/base.html.j2), over max_ctas = 5"
    ), done.stdout
    (repo / "ctamap.toml").write_text(
        'first_party_domains = ["example.com"]\n[audit]\nmax_ctas = 7\n', "utf-8"
    )
    assert "T006" not in _audit(repo, select="T006").stdout


TEXT_BLOCK = "{% block content %}{% endblock %}\n"


def test_v002_a_text_version_whose_url_is_in_its_text_layout(tmp_path: Path) -> None:
    button = '<a class="button" href="https://example.com/start">Start</a>'
    repo = _repo(
        tmp_path,
        {
            "emails/welcome.html.j2": RECEIPT.replace("<p>Paid.</p>", button),
            "layouts/base.html.j2": BASE,
            "emails/welcome.txt.j2": '{% extends "layouts/base.txt.j2" %}\n',
            "layouts/base.txt.j2": "Start: https://example.com/start\n" + TEXT_BLOCK,
        },
    )
    done = _audit(repo, select="V002")
    assert done.returncode == 0, done.stdout
    assert _audit(repo, "emails/welcome.html.j2", select="V002").returncode == 0
    (repo / "layouts/base.txt.j2").write_text(TEXT_BLOCK, "utf-8")
    missing = _audit(repo, select="V002")
    assert missing.returncode == 1
    assert "emails/welcome.html.j2:1:" in missing.stdout and "V002" in missing.stdout


def test_a_layout_named_alone_is_judged_by_its_emails_on_disk(tmp_path: Path) -> None:
    # Pre-commit passes only the changed layout; its emails are on disk, unnamed.
    files = {"layouts/base.html.j2": BASE, "emails/welcome.html.j2": WELCOME}
    repo = _repo(tmp_path, files)
    assert _audit(repo, "layouts/base.html.j2").returncode == 0
    (repo / "emails/receipt.html.j2").write_text(RECEIPT, "utf-8")
    done = _audit(repo, "layouts/base.html.j2")
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "layouts/base.html.j2:1:7: L009 HTML document has no unsubscribe link; 1 of the 2 "
        "emails built on it have none either: emails/receipt.html.j2"
    )


PIXEL_CONFIG = (
    'first_party_domains = ["example.com"]\n'
    '[pixel]\nurl = "https://t.example.com/o.gif?m={{ message_id }}"\n'
)
NEWS = '<html><body><p>News</p>{% include "partials/footer.html.j2" %}</body></html>\n'


def test_p001_a_pixel_in_an_included_footer_serves_the_email(tmp_path: Path) -> None:
    footer = "<p>Example Inc.</p>" + PIXEL + "\n"
    repo = _repo(tmp_path, {"emails/news.html.j2": NEWS, "partials/footer.html.j2": footer})
    (repo / "ctamap.toml").write_text(PIXEL_CONFIG, "utf-8")
    done = _audit(repo, select="P001")
    assert done.returncode == 0, done.stdout
    # Pre-commit names only the email: its footer is read from disk.
    assert _audit(repo, "emails/news.html.j2", select="P001").returncode == 0
    # And instrument does not add a second pixel to the email (P002 would flag it).
    done = _ctamap(repo, "instrument", ".")
    assert done.returncode == 0, done.stderr
    assert (repo / "emails/news.html.j2").read_text("utf-8") == NEWS
    assert _audit(repo, select="P001,P002").returncode == 0


def test_p001_an_email_whose_footer_has_no_pixel_still_lacks_one(tmp_path: Path) -> None:
    footer = "<p>Example Inc.</p>\n"
    repo = _repo(tmp_path, {"emails/news.html.j2": NEWS, "partials/footer.html.j2": footer})
    (repo / "ctamap.toml").write_text(PIXEL_CONFIG, "utf-8")
    done = _audit(repo, select="P001")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "emails/news.html.j2:1:7: P001 HTML document has no open pixel"
    ]
    fixed = _ctamap(repo, "instrument", ".")
    assert fixed.returncode == 0, fixed.stderr
    assert "data-ctamap-pixel" in (repo / "emails/news.html.j2").read_text("utf-8")
    assert _audit(repo, select="P001,P002").returncode == 0


def _excluding(repo: Path, *globs: str) -> None:
    listed = ", ".join(f'"{glob}"' for glob in globs)
    (repo / "ctamap.toml").write_text(PIXEL_CONFIG + f"exclude = [{listed}]\n", "utf-8")


SECURITY = "layouts/security.html.j2"
RESET = '{% extends "layouts/security.html.j2" %}{% block content %}<p>Reset.</p>{% endblock %}\n'


@pytest.mark.parametrize("run", [".", "layouts/security.html.j2"], ids=["folder", "layout-alone"])
def test_a_layout_that_only_excluded_emails_use_gets_no_pixel(tmp_path: Path, run: str) -> None:
    files = {SECURITY: BASE, "emails/security/reset.html.j2": RESET,
             "layouts/base.html.j2": BASE, "emails/receipt.html.j2": RECEIPT}  # fmt: skip
    repo = _repo(tmp_path, files)
    _excluding(repo, "emails/security/*")
    done = _ctamap(repo, "instrument", run)
    assert done.returncode == 0, done.stderr
    assert "notice" not in done.stderr
    # The reset email's layout serves excluded mail only: no pixel, and P001 agrees.
    assert "data-ctamap-pixel" not in (repo / SECURITY).read_text("utf-8")
    audited = _audit(repo, run, select="P001")
    assert audited.returncode == 0, audited.stdout
    assert _audit(repo, SECURITY, select="P001").returncode == 0
    if run == ".":  # the shared layout still gets its pixel for the receipt
        assert "data-ctamap-pixel" in (repo / "layouts/base.html.j2").read_text("utf-8")


def test_an_exclusion_a_shared_layout_defeats_is_said(tmp_path: Path) -> None:
    reset = RESET.replace("security.html.j2", "base.html.j2")
    files = {"layouts/base.html.j2": BASE, "emails/security/reset.html.j2": reset,
             "emails/receipt.html.j2": RECEIPT}  # fmt: skip
    repo = _repo(tmp_path, files)
    _excluding(repo, "emails/security/*")
    notice = (
        "ctamap: notice: emails/security/reset.html.j2: [pixel] exclude 'emails/security/*' "
        "cannot keep the pixel out of this email: its layout layouts/base.html.j2 carries the "
        "pixel for emails/receipt.html.j2; build excluded mail on a layout of its own (see "
        "docs/configuration.md#pixelexclude)"
    )
    done = _ctamap(repo, "instrument", ".")
    assert done.returncode == 0, done.stderr
    assert notice in done.stderr.splitlines()
    assert "data-ctamap-pixel" in (repo / "layouts/base.html.j2").read_text("utf-8")
    audited = _audit(repo, select="P001")
    assert audited.returncode == 0
    assert notice in audited.stderr.splitlines()
