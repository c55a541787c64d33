"""`ctamap init` as a new user runs it: the installed command, in a fresh git repository of
templates it has never seen, then `audit` and `instrument` with the config it wrote."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import CORPUS, FIXTURES, needs_corpus
from .gitrepo import git

CTAMAP = os.environ.get("CTAMAP_BIN", str(Path(sys.executable).with_name("ctamap")))


def _run(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CI", "NO_COLOR")}
    return subprocess.run(
        [CTAMAP, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def _repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


def _config(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _demo(repo: Path) -> Path:
    """The demo campaign's templates, without its config."""
    emails = repo / "emails"
    emails.mkdir(parents=True)
    for name in ("welcome.html", "welcome.txt"):
        shutil.copy(FIXTURES / "campaign" / name, emails / name)
    return emails


def test_init_then_audit_on_a_fresh_folder_of_the_demo_templates(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    done = _run(repo, "init")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # everything init says is for the person, on stderr
    written = _config(repo / "ctamap.toml")
    # example.com is the demo's own domain; twitter.com is linked too but is a platform.
    assert written["first_party_domains"] == ["example.com"]
    assert "twitter.com" in done.stderr and "platform" in done.stderr
    assert "found 2 templates" in done.stderr and "1 HTML, 1 text" in done.stderr
    assert "wrote ctamap.toml" in done.stderr
    assert "- id: ctamap-instrument" in done.stderr and "- id: ctamap-audit" in done.stderr
    assert done.stderr.index("ctamap-instrument") < done.stderr.index("- id: ctamap-audit")

    audit = _run(repo, "audit", "emails")
    assert audit.returncode == 1, audit.stderr  # not instrumented yet: findings, not errors
    assert "using the defaults" not in audit.stderr
    assert "T001" in audit.stdout
    assert "twitter.com" not in "".join(
        line for line in audit.stdout.splitlines() if "T001" in line
    )
    assert _run(repo, "instrument", "emails").returncode == 0
    assert _run(repo, "instrument", "emails", "--check").returncode == 0
    assert (repo / "ctamap.linkmap.json").is_file()  # next to the config init wrote


@needs_corpus
def test_init_on_real_templates_it_has_never_seen(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    shutil.copytree(CORPUS / "postmark-templates" / "templates", repo / "templates")
    done = _run(repo, "init", "--yes")
    assert done.returncode == 0, done.stderr
    written = _config(repo / "ctamap.toml")
    assert written["first_party_domains"] == ["example.com"]  # github.com is a platform
    # Mustache templates: {{#each}} sections say handlebars; plain {{ x }} files do not vote.
    assert written["template_syntax"] == "handlebars"
    assert "66 templates" in done.stderr and "33 pairs named x.html ↔ x.txt" in done.stderr
    audit = _run(repo, "audit", ".", "--format", "json")
    assert audit.returncode == 1 and "using the defaults" not in audit.stderr
    assert _run(repo, "instrument", ".").returncode == 0
    assert _run(repo, "instrument", ".", "--check").returncode == 0


@needs_corpus
def test_init_leaves_placeholder_and_platform_domains_out(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    shutil.copytree(CORPUS / "sendwithus-templates", repo / "emails")
    done = _run(repo, "init", "emails")
    assert done.returncode == 0, done.stderr
    written = _config(repo / "emails" / "ctamap.toml")
    domains = written["first_party_domains"]
    assert isinstance(domains, list) and "google.com" not in domains
    assert "sendwithus.com" not in domains  # the email service's own footer link


def test_an_existing_config_is_never_overwritten(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    (repo / "ctamap.toml").write_bytes(b"# mine\r\nfirst_party_domains = []\r\n")
    done = _run(repo, "init")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ctamap: error: ctamap.toml: already configures ctamap here: init does not overwrite "
        "it (--force replaces it; `ctamap config` shows it)"
    ]
    assert (repo / "ctamap.toml").read_bytes() == b"# mine\r\nfirst_party_domains = []\r\n"

    forced = _run(repo, "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert _config(repo / "ctamap.toml")["first_party_domains"] == ["example.com"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".ctamap.toml", "link_map = 'x.json'\n"),
        ("pyproject.toml", "[tool.ctamap]\ncampaign = 'x'\n"),
    ],
)
def test_any_kind_of_existing_config_stops_init(tmp_path: Path, name: str, text: str) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    (repo / name).write_text(text, encoding="utf-8")
    done = _run(repo, "init", "--force")  # --force replaces only what init would write
    assert done.returncode == 2 and "already configures ctamap here" in done.stderr
    assert not (repo / "ctamap.toml").exists()
    assert (repo / name).read_text(encoding="utf-8") == text


def test_an_empty_folder_gets_no_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    (repo / "notes.md").write_text("# not a template\n", encoding="utf-8")
    done = _run(repo, "init")
    assert done.returncode == 2
    assert "no templates here" in done.stderr and "ctamap init emails/" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in repo.iterdir()) == [".git", "notes.md"]


def test_a_missing_folder_is_one_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "init", "nowhere")
    assert done.returncode == 2
    assert done.stderr.strip() == "ctamap: error: nowhere: no such folder"


def test_print_writes_nothing_and_prints_a_valid_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    done = _run(repo, "init", "--print")
    assert done.returncode == 0, done.stderr
    assert tomllib.loads(done.stdout)["first_party_domains"] == ["example.com"]
    assert not (repo / "ctamap.toml").exists()


def test_pyproject_gets_a_tool_ctamap_table_and_keeps_every_other_byte(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    mine = b'[project]\r\nname = "mail"\r\n\r\n[tool.ruff]\r\nline-length = 100\r\n'
    (repo / "pyproject.toml").write_bytes(mine)
    done = _run(repo, "init", "--pyproject")
    assert done.returncode == 0, done.stderr
    after = (repo / "pyproject.toml").read_bytes()
    assert after.startswith(mine) and b"\n[tool.ctamap]\r\n" in after
    assert b"\r\n" in after and b"\n" not in after.replace(b"\r\n", b"")  # CRLF kept
    data = tomllib.loads(after.decode())
    assert data["tool"]["ruff"] == {"line-length": 100}
    assert data["tool"]["ctamap"]["first_party_domains"] == ["example.com"]
    shown = _run(repo, "config", "emails")
    assert shown.returncode == 0 and "# from: pyproject.toml" in shown.stdout

    again = _run(repo, "init", "--pyproject")
    assert again.returncode == 2 and "pyproject.toml [tool.ctamap]" in again.stderr
    forced = _run(repo, "init", "--pyproject", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (repo / "pyproject.toml").read_bytes() == after  # replaced by the same, not added


def test_pyproject_option_needs_a_pyproject(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    done = _run(repo, "init", "--pyproject")
    assert done.returncode == 2 and "drop --pyproject" in done.stderr
    assert not (repo / "ctamap.toml").exists()


def test_text_versions_in_another_folder_get_a_pairs_table(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    for name in ("welcome", "receipt"):
        (repo / "html").mkdir(exist_ok=True)
        (repo / "text").mkdir(exist_ok=True)
        (repo / "html" / f"{name}.html").write_text(
            f'<html><body><a href="https://shop.example.com/{name}">Open</a></body></html>\n',
            encoding="utf-8",
        )
        (repo / "text" / f"{name}.txt").write_text(
            f"Open: https://shop.example.com/{name}\n", encoding="utf-8"
        )
    done = _run(repo, "init")
    assert done.returncode == 0, done.stderr
    written = _config(repo / "ctamap.toml")
    assert written["pairs"] == {"html/*.html": "text/*.txt"}
    assert written["first_party_domains"] == ["example.com"]
    audit = _run(repo, "audit", ".", "--select", "X")  # the text-version rules
    assert "no text version" not in audit.stdout, audit.stdout


def test_on_a_terminal_init_asks_before_writing(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    answers = "example.com, example.org\ny\n"
    output = _on_terminal(repo, ["init"], answers)
    assert "first-party domains" in output and "write ctamap.toml?" in output
    assert _config(repo / "ctamap.toml")["first_party_domains"] == ["example.com", "example.org"]

    (repo / "ctamap.toml").unlink()
    output = _on_terminal(repo, ["init"], "\nn\n")
    assert "nothing written" in output and not (repo / "ctamap.toml").exists()


def _on_terminal(cwd: Path, args: list[str], answers: str) -> str:
    """Run ctamap with a pseudo-terminal as stdin, stdout and stderr; type `answers`."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [CTAMAP, *args], cwd=cwd, stdin=follower, stdout=follower, stderr=follower, close_fds=True
    )
    os.close(follower)
    os.write(leader, answers.encode())
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_config_above_is_named_when_init_writes_one_below_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _demo(repo)
    (repo / "ctamap.toml").write_text('campaign = "all"\n', encoding="utf-8")
    done = _run(repo, "init", "emails")
    assert done.returncode == 0, done.stderr
    assert "wrote emails/ctamap.toml" in done.stderr
    assert "takes over from ctamap.toml for the templates below emails" in done.stderr
    assert (repo / "ctamap.toml").read_text(encoding="utf-8") == 'campaign = "all"\n'
    shown = _run(repo, "config", "emails")
    assert "# from: emails/ctamap.toml" in shown.stdout


def test_the_hook_snippet_names_where_ctamap_was_installed_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`pipx install "git+URL@TAG"` records URL and TAG (PEP 610); the snippet uses them."""
    from importlib import metadata

    from ctamap import starter

    class Installed:
        def read_text(self, name: str) -> str:
            assert name == "direct_url.json"
            return json.dumps(
                {
                    "url": "https://git.example.org/tools/ctamap.git",
                    "vcs_info": {"vcs": "git", "requested_revision": "v0.3.0", "commit_id": "ab"},
                }
            )

    monkeypatch.setattr(metadata, "distribution", lambda name: Installed())
    lines = starter.next_steps(tmp_path, ".")
    assert "    - repo: https://git.example.org/tools/ctamap.git" in lines
    assert "      rev: v0.3.0" in lines
