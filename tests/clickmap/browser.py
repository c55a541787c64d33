"""Debian's Chromium, headless and off the network, driven through Playwright's Python package
(never `playwright install`: the browser is the system's `/usr/bin/chromium`).

Also a small command for people: `python -m tests.clickmap.browser PAGE.html OUT.png` saves a
screenshot of a click map (the README's `docs/clickmap.png` is made this way, from `make demo`:
`python -m tests.clickmap.browser build/demo/clickmap.html docs/clickmap.png --viewport
1600x1400 --element '#email-0 .frames'`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Flags that keep the browser from reaching anything on its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--disable-domain-reliability",
)


def chromium_path() -> str | None:
    """The system Chromium, or None when there is none."""
    for candidate in (os.environ.get("CTAMAP_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Requests:
    """Every request a page made (the page's own `file:` load included)."""

    urls: list[str] = field(default_factory=list)

    def leaving(self) -> list[str]:
        """Requests for anything but the file itself and inline `data:`/`about:` documents."""
        return [u for u in self.urls if not u.startswith(("file:", "data:", "about:"))]


@contextmanager
def browser() -> Iterator[Any]:
    """A fresh headless Chromium with its own empty profile folder."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("no chromium binary")
    with (
        tempfile.TemporaryDirectory(prefix="ctamap-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=list(FLAGS),
            viewport={"width": 1280, "height": 1100},
            offline=True,
        )
        try:
            yield context
        finally:
            context.close()


def open_page(context: Any, path: Path, requests: Requests) -> Any:
    """Open `path` with every request recorded, and every non-file request refused."""
    page = context.new_page()
    page.on("request", lambda request: requests.urls.append(request.url))

    def route(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:", "about:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page


def screenshot(
    page_path: Path,
    out: Path,
    *,
    full_page: bool = False,
    element: str | None = None,
    viewport: tuple[int, int] | None = None,
) -> Requests:
    """A PNG of the page (the viewport, the whole page, or one element by CSS selector).

    Chromium paints a sandboxed frame (an opaque origin) only once it is in the viewport and
    settled: pick a `viewport` that holds the element, and give it a moment."""
    requests = Requests()
    with browser() as context:
        page = open_page(context, page_path, requests)
        if viewport is not None:
            page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        page.wait_for_timeout(1500)
        out.parent.mkdir(parents=True, exist_ok=True)
        if element is not None:
            page.locator(element).first.screenshot(path=str(out))
        else:
            page.screenshot(path=str(out), full_page=full_page)
    return requests


if __name__ == "__main__":  # pragma: no cover - a helper for people
    # python -m tests.clickmap.browser PAGE.html OUT.png [--full] [--element CSS] [--viewport WxH]
    args = sys.argv[1:]
    chosen = args[args.index("--element") + 1] if "--element" in args else None
    size = args[args.index("--viewport") + 1] if "--viewport" in args else None
    width, _, height = (size or "").partition("x")
    made = screenshot(
        Path(args[0]),
        Path(args[1]),
        full_page="--full" in args,
        element=chosen,
        viewport=(int(width), int(height)) if size else None,
    )
    if made.leaving():
        sys.exit(f"requests left the file: {made.leaving()}")
