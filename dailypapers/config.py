"""The one settings object, read from DAILYPAPERS_* environment variables and an optional .env file."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal, TextIO

from pydantic import Field, PositiveInt, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dailypapers.errors import BadSetting
from dailypapers.logs import JsonFormatter, TextFormatter, stamp_request_ids

# The settings' choices, checked when the settings are read.
FusionMethod = Literal["rrf", "convex", "zscore"]  # how hybrid search fuses its two ranked lists (search/fusion.py)
KeywordEngine = Literal["tantivy", "fts5", "postgres"]  # index/engines.py
Precision = Literal["auto", "bf16", "f32"]  # OpenVINO's; auto: bf16 where the CPU has bf16 units, else f32
SearchMode = Literal["hybrid", "keyword", "semantic"]
LogFormat = Literal["text", "json"]  # json: one object per line, for a log collector


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAILYPAPERS_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None

    # arXiv sources: endpoints and pace are settings so tests and mirrors can point elsewhere.
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_delay: float = 3.0
    arxiv_timeout: float = 30.0
    arxiv_retries: int = 5
    arxiv_batch_size: int = 100
    arxiv_pdf_url: str = "https://arxiv.org/pdf"
    # First-page thumbnails: `ingest` (and the scheduled daily ingest) fetches each new paper's PDF when on;
    # `import` and `harvest` only with --thumbnails; `dailypapers thumbnails` fills in the papers without one.
    fetch_pdfs: bool = True
    # How long a submission from a page waits for arXiv before it answers "pending" (the fetch goes on).
    arxiv_submit_wait: float = 8.0

    # The site
    # The site's public origin (https://papers.example.org). Unset: pages and feeds link to the origin each
    # request came to, and mail (outside any request) to `served_url`.
    base_url: str | None = None
    served_url: str = "http://127.0.0.1:8000"  # `serve` and `demo` set it to the address they listen on
    site_name: str = "dailypapers"
    secret_key: str | None = None
    feed_window_days: int = 14
    rate_limit_writes: int = 30  # writes (votes, comments, submissions) per user per minute
    # Failed logins per account, and per account and address (three times as many per address), before each
    # further try waits 5 minutes, doubling with every failure; an owner signing in from a known address passes.
    rate_limit_logins: int = 10
    rate_limit_signups: int = 20  # new accounts per address per hour (a lab behind one NAT may want more)
    page_cache_seconds: float = 1.0  # anonymous reads served from memory this long (0: off)
    page_cache_bytes: int = 64_000_000  # at most this much memory per worker for those reads
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks, comma-separated).
    # Empty: none, so no client can choose the address rate limits see.
    trusted_proxies: str = ""
    request_body_seconds: float = 30.0  # a request body must arrive within this long, or 408
    request_header_seconds: float = 20.0  # and its headers (`serve`, web/protocol.py), or 408 and the connection closes
    # Threads per worker process for the feed and paper pages (web/page_threads.py); None: 1 on SQLite, 4 on
    # PostgreSQL, whose pages also wait on the network
    page_threads: PositiveInt | None = None
    ready_check_seconds: float = 5.0  # /readyz waits this long for the database (to connect, per query), or 503

    # The most papers one library (and one collection) may hold. A reading list of years (ten papers a day for
    # five years); its full BibTeX export is about 35 MB, and For you fits its model on every saved paper.
    library_max_papers: int = 20_000

    # Operators
    # `/metrics` (Prometheus) answers only to `Authorization: Bearer <this token>`; unset or empty: 404.
    metrics_token: SecretStr | None = None
    log_format: LogFormat = "text"

    # Search
    embedding_model: str = "minilm"  # minilm (default) | minilm-static (fast tier) | st:PATH | m2v:PATH
    # auto or cpu: MiniLM on OpenVINO on the CPU; cuda, cuda:1, mps...: on torch (the `[torch]` extra)
    embedding_device: str = "auto"
    embedding_precision: Precision = "auto"
    keyword_engine: KeywordEngine | None = None  # None: tantivy
    search_keyword_max_share: float = 1.0  # <1: hybrid skips words in more papers (faster at 1M, less relevant)
    search_similarity_floor: float | None = None  # None: the floor measured per model (search/semantic.py)
    # How hybrid fuses keyword and semantic results; each None: the value measured per model (search/fusion.py).
    search_fusion_method: FusionMethod | None = None
    search_fusion_semantic_weight: float | None = Field(None, ge=0.0, le=1.0)  # keyword weight: 1 minus this
    search_fusion_k: int | None = Field(None, ge=1)  # rank fusion's constant: higher flattens the ranks' say
    # keywords and summaries: minilm-tokens (static token vectors, default, fast) | minilm-static | any embedding
    # model name (minilm: the transformer, as before; ~400x slower)
    keyphrase_model: str = "minilm-tokens"
    # processes that compute them with static token vectors (one core each); None: as many as the cores
    keyphrase_workers: PositiveInt | None = None
    # PostgreSQL's maintenance_work_mem while `dailypapers index` builds an HNSW index: pgvector builds the graph
    # in memory, many times faster, while it fits (about 2 GB for 1M 384-d vectors); the server must have it.
    pgvector_build_memory_mb: int = 1024
    # pgvector's HNSW: a query's candidate list (hnsw.ef_search) and the graph's build options (m, ef_construction;
    # they apply when `dailypapers index` creates the index). Chosen for recall@10 >= 0.95 at 1M papers with
    # hybrid p95 <= 50 ms: benchmarks/pgvector_sweep.py, RESULTS.md "pgvector at 1M".
    pgvector_ef_search: int = Field(400, ge=1, le=1000)
    pgvector_hnsw_m: int = Field(16, ge=2, le=100)
    pgvector_hnsw_ef_construction: int = Field(64, ge=4, le=1000)
    # Papers per embedding job of the PostgreSQL job queue: each worker takes a batch at a time, so several
    # workers share a backlog.
    embed_job_papers: PositiveInt = 256

    # Email
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    mail_from: str = "dailypapers <digest@localhost>"
    smtp_retries: int = 5  # attempts per message on transient failures (4xx, connection refused)
    smtp_backoff: float = 2.0  # seconds before the first retry; doubles each time
    digest_trending: int = 10  # trending papers per digest
    digest_personal: int = 10  # personalised papers per digest
    digest_search_mode: SearchMode = "hybrid"  # how interests are searched

    @field_validator("metrics_token")
    @classmethod
    def _empty_token_is_none(cls, token: SecretStr | None) -> SecretStr | None:
        return token if token is not None and token.get_secret_value().strip() else None

    def origin(self, request_origin: str | None = None) -> str:
        """Where every absolute link starts: the configured base URL; else, answering a request, the origin it
        came to; else (mail, agents) the address the site is served at. Mail never passes a request's origin:
        a forged Host header must not reach anyone's inbox."""
        return (self.base_url or request_origin or self.served_url).rstrip("/")

    @property
    def sqlite_file(self) -> Path:
        """The SQLite database, used unless `database_url` names another."""
        return (self.data_dir / "dailypapers.db").resolve()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_file}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    @cached_property
    def signing_key(self) -> str:
        """The signing key, read once per process: from settings, else generated once and kept in the data dir
        (never in the repo). The web app reads it at start, so no request ever writes it."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / "secret_key"
        if not path.exists():
            # Written aside, then linked into place: when several web workers start at once, the first
            # one wins and nobody reads a half-written or overwritten key.
            draft = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            draft.write_text(secrets.token_urlsafe(48))
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:  # name the variable and what it needs, not pydantic's report
        problem = exc.errors()[0]
        name = "DAILYPAPERS_" + "_".join(str(part) for part in problem["loc"][:1]).upper()
        raise BadSetting(f"{name}: {problem['msg']}") from None


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


# --- logging -------------------------------------------------------------------------------------------

# Libraries that log per request (the MCP SDK each refused tool call, the HTTP clients each request): only their
# warnings and errors are worth a line. (bibtexparser warns for every malformed block: community/library.py,
# which owns the parsing, holds it at ERROR.)
NOISY_LOGGERS = ("mcp", "httpx", "httpx2", "httpcore", "sse_starlette", "uvicorn.access")
ACCESS_LOGGER = "dailypapers.access"  # one line per request (web/middleware/request_log.py), shown at INFO
_LOG_HANDLER = "dailypapers"


class _Stderr(logging.StreamHandler[TextIO]):
    """Plain lines on whatever sys.stderr is when a record comes (a test may swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging() -> None:
    """One stderr handler on the root logger (text or JSON lines, as `log_format` says; each record stamped
    with its request's id), the access lines at INFO and the noisy libraries held at WARNING; once per
    process, at start (again is harmless). Once the root logger has a handler, the MCP SDK does not install its
    Rich handler, which drew a boxed traceback holding the caller's arguments on the event loop for each error."""
    stamp_request_ids()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _LOG_HANDLER), None)
    if handler is None:
        handler = _Stderr()
        handler.set_name(_LOG_HANDLER)
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if get_settings().log_format == "json" else TextFormatter())
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
