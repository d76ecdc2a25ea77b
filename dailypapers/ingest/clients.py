"""The arXiv clients of `dailypapers.sources`, configured from the settings (sources never read them)."""

from __future__ import annotations

from dailypapers.config import Settings
from dailypapers.sources.arxiv_api import ArxivAPI
from dailypapers.sources.http import PoliteClient
from dailypapers.sources.oai import OAIClient
from dailypapers.sources.pdfs import ArxivPDFs


def polite_client(settings: Settings) -> PoliteClient:
    return PoliteClient(delay=settings.arxiv_delay, retries=settings.arxiv_retries, timeout=settings.arxiv_timeout)


def arxiv_api(settings: Settings) -> ArxivAPI:
    return ArxivAPI(settings.arxiv_api_url, polite_client(settings), batch_size=settings.arxiv_batch_size)


def oai_client(settings: Settings) -> OAIClient:
    return OAIClient(settings.arxiv_oai_url, polite_client(settings))


def arxiv_pdfs(settings: Settings) -> ArxivPDFs:
    return ArxivPDFs(settings.arxiv_pdf_url, polite_client(settings))
