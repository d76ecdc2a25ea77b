"""arXiv PDFs, fetched through the polite client (same pace, retries and errors as the API) and checked."""

from __future__ import annotations

from dailypapers.errors import SourceError
from dailypapers.sources.http import PoliteClient, UpstreamHTTPError


class PDFUnavailable(SourceError):
    """This paper's PDF is missing or not a PDF (arXiv may answer a page instead); other papers' may be fine."""


class ArxivPDFs:
    """`fetch(id, version)`: the bytes of that version's PDF. Raises PDFUnavailable for that paper, or
    SourceError when the host does not answer (past the polite client's retries)."""

    def __init__(self, base_url: str, http: PoliteClient):
        self.base_url = base_url.rstrip("/")
        self.http = http

    def url(self, arxiv_id: str, version: int) -> str:
        return f"{self.base_url}/{arxiv_id}v{version}"

    def fetch(self, arxiv_id: str, version: int) -> bytes:
        url = self.url(arxiv_id, version)
        try:
            body = self.http.get(url)
        except UpstreamHTTPError as exc:
            raise PDFUnavailable(str(exc)) from exc
        if not body.startswith(b"%PDF-"):
            raise PDFUnavailable(f"{url} did not answer with a PDF")
        return body

    def close(self) -> None:
        self.http.close()
