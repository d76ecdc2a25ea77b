"""A local HTTP server that answers like arXiv's API, OAI-PMH interface and PDF links, from recorded responses.

It runs on 127.0.0.1 on a random port in a thread. API answers are real recorded feeds, or feeds put
together from the real recorded <entry> elements (for id batches and listing pages); OAI-PMH answers are
the recorded pages in tests/fixtures/arxiv/oai, chained by their own resumption tokens. `/pdf/<id>v<n>` of a
recorded paper is a one-page PDF drawn here (its title in large type). Tests can queue scripted replies
(a 503 with Retry-After, a slow answer, an error page) that are served before the routes, give one
paper's PDF link its own reply (`pdf_replies`), and make every answer hang until they release it (`hang()`,
`release()`); a server that refuses connections is a closed port (`refusing_url()`).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from matplotlib.figure import Figure

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arxiv"
API = FIXTURES / "api"
OAI = FIXTURES / "oai"

_ENTRY = re.compile(rb"  <entry>.*?</entry>\n", re.S)
_ENTRY_ID = re.compile(rb"<id>https?://arxiv\.org/abs/(.+?)v\d+</id>")
_PUBLISHED = re.compile(rb"<published>([^<]+)</published>")
_PDF_PATH = re.compile(r"/pdf/(.+)v(\d+)")

# Which recorded page answers which request. The arXivRaw chain follows the real tokens in the pages.
OAI_FIRST_PAGE = {"arXivRaw": "ListRecords-arXivRaw-page1.xml", "arXiv": "ListRecords-arXiv-page1-trimmed.xml"}
OAI_TOKENS = {
    "726959|1001": "ListRecords-arXivRaw-page2-trimmed.xml",
    "496549|47001": "built--ListRecords-arXivRaw-page3-final.xml",
    "436115|406001": "built--ListRecords-arXiv-page2-final.xml",
}
# The papers of the arXivRaw chain above, and of the arXiv chain: what a full harvest must store.
RAW_CHAIN_IDS = [
    "0704.0471",
    "0704.0716",
    "0704.0874",
    "0704.1109",
    "0704.1114",
    "0704.1586",
    "0801.3673",
    "0801.3674",
    "0801.3675",
    "0801.3676",
    "0801.3677",
    "1302.2146",
]
ARXIV_CHAIN_IDS = [
    "1302.0649",
    "1302.0650",
    "1302.0651",
    "1302.0654",
    "1302.0749",
    "1302.0652",
    "1302.0653",
    "1302.0655",
]


def read(path: Path) -> bytes:
    return path.read_bytes()


def recorded_entries() -> dict[str, bytes]:
    """Every real <entry> of the recorded API feeds, by arXiv id (without version)."""
    entries = {}
    for path in sorted(API.glob("*.xml")):
        if path.name.startswith("error"):
            continue
        for entry in _ENTRY.findall(path.read_bytes()):
            entries[_ENTRY_ID.search(entry)[1].decode()] = entry
    return entries


def atom_feed(entries: list[bytes], total: int, start: int, per_page: int) -> bytes:
    """A feed with the recorded listing's own header, its OpenSearch numbers set for this page."""
    head = API.joinpath("search-all-electron.xml").read_bytes()
    head = head[: head.index(b"  <entry>")]
    head = re.sub(rb"(<opensearch:totalResults[^>]*>)\d+", rb"\g<1>" + str(total).encode(), head)
    head = re.sub(rb"(<opensearch:startIndex[^>]*>)\d+", rb"\g<1>" + str(start).encode(), head)
    head = re.sub(rb"(<opensearch:itemsPerPage[^>]*>)\d+", rb"\g<1>" + str(per_page).encode(), head)
    return head + b"".join(entries) + b"</feed>\n"


@lru_cache(maxsize=64)
def first_page_pdf(text: str) -> bytes:
    """A US-letter, one-page PDF with `text` as a large heading near the top, like a paper's title."""
    figure = Figure(figsize=(8.5, 11))
    figure.text(0.5, 0.9, text, ha="center", va="top", fontsize=28, wrap=True)
    figure.add_axes((0.12, 0.1, 0.76, 0.55)).plot([0, 1, 2, 3], [1, 3, 2, 4])
    out = BytesIO()
    figure.savefig(out, format="pdf", metadata={"CreationDate": None})
    return out.getvalue()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    hold: threading.Event | None = None  # the reply waits until the test sets it


@dataclass
class Seen:
    at: float
    path: str
    params: dict[str, str]
    user_agent: str = ""


class FakeArxiv:
    def __init__(self) -> None:
        self.entries = recorded_entries()
        self.requests: list[Seen] = []
        self.script: deque[Reply] = deque()
        self.oai_first = dict(OAI_FIRST_PAGE)
        self.oai_tokens = dict(OAI_TOKENS)
        self.page_failures: dict[str, Reply] = {}  # token -> reply served instead of that page
        self.pdf_replies: dict[str, Reply] = {}  # arXiv id -> reply served instead of its PDF
        self.base = ""
        self.gate: threading.Event | None = None  # while set here and not yet released, every answer waits
        self._lock = threading.Lock()

    def hang(self) -> None:
        """From now on every request waits, unanswered, until `release()` (or 30 s)."""
        self.gate = threading.Event()

    def release(self) -> None:
        if self.gate is not None:
            self.gate.set()

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/query"

    @property
    def oai_url(self) -> str:
        return f"{self.base}/oai"

    @property
    def pdf_url(self) -> str:
        return f"{self.base}/pdf"

    def env(self) -> dict[str, str]:
        """Settings that point every arXiv client here, PDFs (thumbnails) on as they are by default."""
        return {
            "DAILYPAPERS_ARXIV_API_URL": self.api_url,
            "DAILYPAPERS_ARXIV_OAI_URL": self.oai_url,
            "DAILYPAPERS_ARXIV_PDF_URL": self.pdf_url,
            "DAILYPAPERS_FETCH_PDFS": "true",
        }

    def pdf_requests(self) -> list[str]:
        return [seen.path for seen in self.requests if seen.path.startswith("/pdf/")]

    def listing(self) -> list[bytes]:
        """Every recorded entry, newest submission first (what sortBy=submittedDate&descending returns)."""
        return sorted(self.entries.values(), key=lambda e: _PUBLISHED.search(e)[1], reverse=True)

    def answer(self, path: str, params: dict[str, str], user_agent: str = "") -> Reply:
        with self._lock:
            self.requests.append(Seen(time.monotonic(), path, params, user_agent))
            if self.script:
                return self.script.popleft()
        if path == "/api/query":
            return self._api(params)
        if path == "/oai":
            return self._oai(params)
        if pdf := _PDF_PATH.fullmatch(path):
            return self._pdf(unquote(pdf[1]))
        return Reply(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"})

    def _api(self, params: dict[str, str]) -> Reply:
        start = int(params.get("start", 0))
        per_page = int(params.get("max_results", 10))
        if params.get("id_list"):
            found = [self.entries[i] for i in params["id_list"].split(",") if i in self.entries]
            body = atom_feed(found, len(found), 0, per_page)
        else:
            listing = self.listing()
            body = atom_feed(listing[start : start + per_page], len(listing), start, per_page)
        return Reply(200, body, {"Content-Type": "application/atom+xml; charset=UTF-8"})

    def _pdf(self, arxiv_id: str) -> Reply:
        if arxiv_id in self.pdf_replies:
            return self.pdf_replies[arxiv_id]
        if arxiv_id not in self.entries:
            return Reply(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"})
        return Reply(200, first_page_pdf(f"arXiv:{arxiv_id}"), {"Content-Type": "application/pdf"})

    def _oai(self, params: dict[str, str]) -> Reply:
        xml = {"Content-Type": "text/xml"}
        token = params.get("resumptionToken")
        if token:
            if token in self.page_failures:
                return self.page_failures[token]
            if token not in self.oai_tokens:
                return Reply(200, read(OAI / "error-badResumptionToken.xml"), xml)
            return Reply(200, read(OAI / self.oai_tokens[token]), xml)
        if params.get("set") == "moo":
            return Reply(200, read(OAI / "error-noRecordsMatch.xml"), xml)
        prefix = params.get("metadataPrefix")
        if prefix not in self.oai_first:
            return Reply(200, read(OAI / "error-badArgument.xml"), xml)
        return Reply(200, read(OAI / self.oai_first[prefix]), xml)


def _handler_for(fake: FakeArxiv):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            reply = fake.answer(url.path, params, self.headers.get("User-Agent", ""))
            if fake.gate is not None:
                fake.gate.wait(30)
            if reply.hold is not None:
                reply.hold.wait(30)
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                pass  # the client gave up waiting (timeout tests): nothing to answer

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def serve(fake: FakeArxiv | None = None):
    fake = fake or FakeArxiv()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release()
        for reply in list(fake.script) + list(fake.page_failures.values()):
            if reply.hold is not None:
                reply.hold.set()
        server.shutdown()
        server.server_close()


def refusing_url() -> str:
    """An API address on 127.0.0.1 where nothing listens: every connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/query"


@contextmanager
def serving_settings(monkeypatch, **env):
    """The fake server, with the settings pointed at it (and any extra DAILYPAPERS_* values)."""
    from dailypapers.config import get_settings, reset_settings

    with serve() as fake:
        for name, value in {**fake.env(), **env}.items():
            monkeypatch.setenv(name, str(value))
        reset_settings()
        yield fake, get_settings()
        reset_settings()
