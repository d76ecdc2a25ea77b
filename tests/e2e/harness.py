"""The parts a browser test drives: a live dailypapers server, a real SMTP server, and page checks.

The server runs as `dailypapers serve` in a subprocess against its own data dir (loaded with the demo),
mailing through an aiosmtpd server on 127.0.0.1 that keeps every message for the tests to read.
"""

from __future__ import annotations

import email
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.web_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB
    # Offline by construction: every host name but the local servers' fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Debian's Chromium (or DAILYPAPERS_TEST_CHROMIUM): the tests never download a browser."""
    import shutil

    configured = os.environ.get("DAILYPAPERS_TEST_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


# --- mail -------------------------------------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def links(self, path_prefix: str = "") -> list[str]:
        """Every http(s) URL in the plain-text part whose path starts with `path_prefix`."""
        urls = re.findall(r"https?://[^\s<>\"')]+", self.text())
        return [u for u in dict.fromkeys(urls) if re.match(r"https?://[^/]+" + re.escape(path_prefix), u)]


class _Collector:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.box._add(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Mailbox:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.port = free_port()
        self._mails: list[Mail] = []
        self._cond = threading.Condition()
        self._controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def _add(self, mail: Mail) -> None:
        with self._cond:
            self._mails.append(mail)
            self._cond.notify_all()

    def to(self, address: str) -> list[Mail]:
        with self._cond:
            return [m for m in self._mails if address.lower() in (r.lower() for r in m.recipients)]

    def wait_for(self, address: str, subject_contains: str = "", count: int = 1, timeout: float = 20) -> Mail:
        """The `count`-th mail to `address` whose subject contains the text; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    m
                    for m in self._mails
                    if address.lower() in (r.lower() for r in m.recipients)
                    and subject_contains.lower() in m.subject.lower()
                ]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [(m.recipients, m.subject) for m in self._mails]
                    raise AssertionError(
                        f"no mail #{count} to {address} with {subject_contains!r} in its subject "
                        f"after {timeout}s; received: {got}"
                    )
                self._cond.wait(left)


# --- the site ---------------------------------------------------------------------------------------


class LiveSite:
    """`dailypapers serve` in a subprocess, on a free port, against `data_dir`."""

    def __init__(
        self, data_dir: Path, mailbox: Mailbox, log_path: Path, command: str = "serve", configured_base_url: bool = True
    ):
        """`command` is "serve" or "demo"; without a configured base URL the site links to where it is served."""
        self.command = command
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DAILYPAPERS_DATA_DIR": str(data_dir),
            "DAILYPAPERS_BASE_URL": self.url,
            "DAILYPAPERS_SMTP_HOST": "127.0.0.1",
            "DAILYPAPERS_SMTP_PORT": str(mailbox.port),
            "DAILYPAPERS_SMTP_RETRIES": "2",
            "DAILYPAPERS_SMTP_BACKOFF": "0.1",
            "DAILYPAPERS_MAIL_FROM": "dailypapers <digest@example.org>",
            "DAILYPAPERS_SECRET_KEY": "browser-tests-" + "k" * 40,
            "DAILYPAPERS_RATE_LIMIT_SIGNUPS": "1000",  # every browser test signs up from 127.0.0.1
            # Nothing may reach the internet: any arXiv fetch goes to a closed local port and fails fast.
            "DAILYPAPERS_ARXIV_API_URL": f"http://127.0.0.1:{free_port()}/api/query",
            "DAILYPAPERS_ARXIV_OAI_URL": f"http://127.0.0.1:{free_port()}/oai",
            "DAILYPAPERS_ARXIV_PDF_URL": f"http://127.0.0.1:{free_port()}/pdf",
            "DAILYPAPERS_ARXIV_DELAY": "0",
            "DAILYPAPERS_ARXIV_RETRIES": "0",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        self.env.pop("DAILYPAPERS_DATABASE_URL", None)
        if not configured_base_url:
            self.env.pop("DAILYPAPERS_BASE_URL")
        self.process: subprocess.Popen | None = None

    def cli(
        self, *args: str, input: str | None = None, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess:
        """The real `dailypapers` command against the site's data dir and mail server."""
        done = subprocess.run(
            [sys.executable, "-m", "dailypapers.cli", *args],
            capture_output=True,
            text=True,
            input=input,
            env=self.env,
            cwd=ROOT,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"dailypapers {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        return done

    def start(self, timeout: float = 90) -> LiveSite:
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli", self.command, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/papers", timeout=2).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


# --- accounts ---------------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def unique_name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def sign_up(page, username: str, password: str = PASSWORD, email: str = "") -> None:
    """Create an account through the sign-up form; ends signed in, on the page the form sends to."""
    page.goto("/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    if email:
        page.get_by_label("E-mail").fill(email)
    page.locator("#signup-submit").click()
    page.wait_for_url(lambda url: "/signup" not in url)
    assert page.locator("#nav-user").inner_text() == username


def log_in(page, username: str) -> None:
    """Sign in through the login form as an existing account."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#nav-user")).to_have_text(username)


# --- what every page must satisfy -------------------------------------------------------------------


class PageProblems:
    """Console errors, uncaught script errors and 5xx answers seen by one page, kept for an assertion."""

    def __init__(self, page):
        self.problems: list[str] = []
        self.allowed_statuses: set[int] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught script error: {exc}"))
        page.on("response", self._response)

    def allow_status(self, *statuses: int) -> None:
        """The test expects answers with these (4xx) statuses; Chromium logs them as console errors."""
        self.allowed_statuses.update(statuses)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        status = re.search(r"status of (\d{3})", text)
        if status and int(status.group(1)) in self.allowed_statuses:
            return
        self.problems.append(f"console error: {text} ({message.location.get('url', '')})")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.request.method} {response.url}")

    def check(self) -> None:
        assert not self.problems, "the page had problems:\n" + "\n".join(self.problems)


def assert_page_ok(page, response, problems: PageProblems) -> str:
    """A page that loaded: a 2xx answer, one visible main heading with text, no console errors.

    Returns the heading's text.
    """
    assert response is not None, f"no response for {page.url}"
    assert response.status < 400, f"{page.url} answered {response.status}: {page.locator('body').inner_text()[:500]}"
    heading = page.locator("main h1")
    assert heading.count() == 1, f"{page.url} has {heading.count()} main headings"
    text = heading.inner_text().strip()
    assert text, f"{page.url} has an empty main heading"
    assert heading.is_visible(), f"{page.url}: the main heading is not visible"
    problems.check()
    return text


_AXE = Axe()  # axe-core, bundled with the package: nothing is fetched
# Every rule axe runs by default, and one it still calls experimental: a control's name contains its visible text.
_AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"label-content-name-mismatch": {"enabled": True}}}


def accessibility_violations(page) -> list[str]:
    """What axe-core finds wrong on the page as it is now, one line per rule broken, naming where."""
    found = _AXE.run(page, options=_AXE_OPTIONS).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at " + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
    ]


def assert_accessible(page) -> None:
    violations = accessibility_violations(page)
    assert not violations, f"{page.url} breaks {len(violations)} accessibility rules:\n" + "\n".join(violations)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when there is no horizontal scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


SCHEMES = ("light", "dark")
WIDTHS = (1366, 390)


def looks_right(page, name: str, widths=WIDTHS, schemes=SCHEMES, axe: bool = True) -> None:
    """The page as it is now, at each width and colour scheme in turn: no sideways scroll, a full-page screenshot
    (test-artifacts/screenshots/<name>-<width>-<scheme>.png) and, unless `axe` is False (a page another test
    already runs axe on), nothing axe-core finds wrong. One load serves
    every look, as the CSS follows the viewport and the scheme when they change; a load per look cost the suite
    minutes."""
    height = page.viewport_size["height"] if page.viewport_size else 900
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        for scheme in schemes:
            page.emulate_media(color_scheme=scheme)
            look = f"{name} at {width}px, {scheme}"
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark"), look
            overflow = horizontal_overflow(page)
            assert overflow <= 0, f"{look} scrolls sideways by {overflow}px"
            screenshot(page, f"{name}-{width}-{scheme}")
            violations = accessibility_violations(page) if axe else []
            assert not violations, f"{look} ({page.url}) breaks axe's rules:\n" + "\n".join(violations)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
