"""First-page thumbnails: fetch a paper's PDF, render page 1 small, keep it in the data dir.

A thumbnail is `DATA_DIR/thumbnails/<id>v<version>.webp`, and the store records the version
(`papers.thumbnail_version`), so pages build its address without touching the disk and the address changes
with every new version (it can be cached for good). A PDF that cannot be fetched or rendered is logged and
counted, never an error of the ingest that asked for it: the paper simply has no thumbnail.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from dailypapers.config import Settings
from dailypapers.errors import DailyPapersError, SourceError
from dailypapers.ingest.clients import arxiv_pdfs
from dailypapers.ingest.report import IngestReport, Progress
from dailypapers.sources.pdfs import ArxivPDFs, PDFUnavailable
from dailypapers.sources.records import PaperRecord
from dailypapers.store.db import Engine
from dailypapers.store.thumbnails import papers_lacking_thumbnails, record_thumbnail

log = logging.getLogger(__name__)

# A 3:4 box: a portrait page fills it, and when the page is longer it is the top (title, abstract) that shows.
WIDTH, HEIGHT = 240, 320
WEBP_QUALITY = 70


def thumbnails_dir(data_dir: Path) -> Path:
    return data_dir / "thumbnails"


def _file_stem(arxiv_id: str) -> str:
    return arxiv_id.replace("/", "_")  # old-style ids hold a slash, file names cannot


def thumbnail_name(arxiv_id: str, version: int) -> str:
    """The file name, and the last part of the thumbnail's address."""
    return f"{_file_stem(arxiv_id)}v{version}.webp"


def render_first_page(pdf: bytes) -> bytes:
    """Page 1 as a WIDTH x HEIGHT WebP on white. Raises pdfium.PdfiumError or ValueError on a bad PDF."""
    document = pdfium.PdfDocument(pdf)
    try:
        if len(document) == 0:
            raise ValueError("the PDF has no pages")
        page = document[0]
        image = page.render(scale=WIDTH / max(page.get_width(), 1.0)).to_pil()
    finally:
        document.close()
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas.paste(image.convert("RGB"), (0, 0))  # what overflows the box is cut off
    out = BytesIO()
    canvas.save(out, "WEBP", quality=WEBP_QUALITY, method=6)
    return out.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Written aside, then renamed: a reader never gets half a file."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    draft.write_bytes(data)
    os.replace(draft, path)


@dataclass
class Thumbnailer:
    """Makes the missing thumbnails of papers, counting what it made and what failed. Without a PDF client
    (`pdfs=None`: thumbnails are off) it does nothing."""

    engine: Engine
    folder: Path
    pdfs: ArxivPDFs | None
    made: int = 0
    failed: int = 0
    unreachable: bool = False  # the PDF host failed past its retries: the rest of this run does not ask again

    def for_records(self, records: Iterable[PaperRecord]) -> None:
        """The thumbnails the just-stored records lack (a rerun of the same ingest fetches nothing)."""
        if self.pdfs is not None:
            self.make(papers_lacking_thumbnails(self.engine, [r.arxiv_id for r in records]))

    def make(self, papers: list[tuple[str, int]], progress: Progress | None = None) -> None:
        if self.pdfs is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for done, (arxiv_id, version) in enumerate(papers, 1):
            if self._make_one(arxiv_id, version):
                self.made += 1
            else:
                self.failed += 1
            if progress:
                progress(done, len(papers))

    def count_into(self, report: IngestReport) -> None:
        if self.pdfs is not None:
            report.thumbnails, report.thumbnail_failures = self.made, self.failed

    def _make_one(self, arxiv_id: str, version: int) -> bool:
        if self.unreachable or self.pdfs is None:
            return False
        try:
            image = render_first_page(self.pdfs.fetch(arxiv_id, version))
            _write_atomically(self.folder / thumbnail_name(arxiv_id, version), image)
        except (DailyPapersError, pdfium.PdfiumError, ValueError, OSError) as exc:
            log.warning("no thumbnail for %sv%d: %s", arxiv_id, version, exc)
            # One paper's missing PDF is that paper's; a host that stays down would cost every paper its retries.
            self.unreachable = isinstance(exc, SourceError) and not isinstance(exc, PDFUnavailable)
            return False
        record_thumbnail(self.engine, arxiv_id, version)
        self._drop_older(arxiv_id, version)
        return True

    def _drop_older(self, arxiv_id: str, version: int) -> None:
        keep = thumbnail_name(arxiv_id, version)
        for old in self.folder.glob(f"{_file_stem(arxiv_id)}v*.webp"):
            if old.name != keep:
                old.unlink(missing_ok=True)


@contextmanager
def thumbnailer(engine: Engine, settings: Settings, enabled: bool) -> Iterator[Thumbnailer]:
    """A Thumbnailer with its own polite PDF client (closed afterwards), or one that does nothing."""
    pdfs = arxiv_pdfs(settings) if enabled else None
    try:
        yield Thumbnailer(engine, thumbnails_dir(settings.data_dir), pdfs)
    finally:
        if pdfs is not None:
            pdfs.close()


def backfill_thumbnails(
    engine: Engine,
    settings: Settings,
    arxiv_ids: list[str] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> Thumbnailer:
    """Thumbnails for the stored papers that lack one (all, most recently added first, or those of the ids)."""
    papers = papers_lacking_thumbnails(engine, arxiv_ids, limit)
    with thumbnailer(engine, settings, enabled=True) as maker:
        if progress:
            progress(0, len(papers))
        maker.make(papers, progress)
    return maker
