"""arXiv PDFs, fetched through the polite client (same pace, retries and errors as the API) and checked."""

from __future__ import annotations

from dailypapers.errors import SourceError
from dailypapers.sources.http import PoliteClient


class ArxivPDFs:
    """`fetch(id, version)`: the bytes of that version's PDF, or SourceError (arXiv may answer a page instead)."""

    def __init__(self, base_url: str, http: PoliteClient):
        self.base_url = base_url.rstrip("/")
        self.http = http

    def url(self, arxiv_id: str, version: int) -> str:
        return f"{self.base_url}/{arxiv_id}v{version}"

    def fetch(self, arxiv_id: str, version: int) -> bytes:
        url = self.url(arxiv_id, version)
        body = self.http.get(url)
        if not body.startswith(b"%PDF-"):
            raise SourceError(f"{url} did not answer with a PDF")
        return body

    def close(self) -> None:
        self.http.close()
