"""`dailypapers demo` and `dailypapers serve`."""

from __future__ import annotations

import os
import socket

import typer
import uvicorn

from dailypapers.backup.lock import in_use
from dailypapers.commands import app, err
from dailypapers.config import configure_logging, get_settings, reset_settings
from dailypapers.errors import InvalidInput
from dailypapers.index.build import build_index
from dailypapers.index.engines import keyword_index
from dailypapers.ingest.demo import load_demo
from dailypapers.store.db import migrate, session_scope
from dailypapers.web.protocol import HeaderDeadlineProtocol
from dailypapers.web.routes.metrics import prepare_multiprocess_dir

WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def check_port_free(host: str, port: int) -> None:
    """Fail now, in one line, if the address is taken: not after minutes of loading and indexing."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:  # busy, not ours, or no such address
        raise InvalidInput(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another with --port (or --host)"
        ) from None


def served_url(host: str, port: int) -> str:
    """The address the site listens on, as a link (a wildcard address is reached through loopback)."""
    host = WILDCARD_HOSTS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announce_address(host: str, port: int) -> str:
    """Tell the settings (of this process and of uvicorn's workers, through the environment) where the site is,
    so mail links to it when no base URL is configured."""
    url = served_url(host, port)
    os.environ["DAILYPAPERS_SERVED_URL"] = url
    reset_settings()
    return url


@app.command("demo")
def demo_command(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the site after loading."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    index: bool = typer.Option(True, "--index/--no-index", help="Build the search indexes (a few seconds)."),
) -> None:
    """Load the 64 demo papers into the daily feed (idempotent), index them for search, then start the site."""
    if serve:
        check_port_free(host, port)
    migrate()
    with session_scope() as session:
        result, added = load_demo(session)
    err.print(
        f"demo papers: {result.inserted} new, {result.updated} updated, {result.unchanged} unchanged; "
        f"{added} new feed entries"
    )
    if index:
        for line in build_index().lines():
            err.print(line, soft_wrap=True)
    if serve:
        serve_command(host=host, port=port, workers=1)


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the web site and the JSON API."""
    check_port_free(host, port)
    configure_logging()  # uvicorn's own lines (this process's too) go through the site's handler
    url = announce_address(host, port)
    if workers > 1 and get_settings().metrics_token:
        prepare_multiprocess_dir(get_settings().data_dir)  # before the workers start: they inherit its name
    keyword_index(migrate()).sync()  # before the first request; repairs an index a crash left behind
    get_settings().signing_key  # noqa: B018  created now, never while answering a request
    err.print(f"dailypapers at {url}/")
    if host in WILDCARD_HOSTS and not get_settings().base_url:
        err.print(f"links in emails point at {url}; set DAILYPAPERS_BASE_URL to the address readers use")
    with in_use(get_settings()):  # a restore refuses while the site serves this data dir
        uvicorn.run("dailypapers.web.app:create_app", **server_options(host, port, workers))


# uvicorn's loggers hand their records to the root logger, where the site's handler is (config.py): one
# format, and a request's error under its request id. Its access log stays off:
# web/middleware/request_log.py writes one.
UVICORN_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"uvicorn": {"handlers": [], "propagate": True}},
}


def server_options(host: str, port: int, workers: int) -> dict:
    """uvicorn's settings for the site. Forwarded headers count only from the configured proxies: uvicorn
    otherwise believes 127.0.0.1, and any local client could then name its own address. Its HTTP protocol
    gives a request's headers a deadline (`request_header_seconds`), which uvicorn's own does not."""
    proxies = get_settings().trusted_proxies.strip()
    return {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "warning",
        "log_config": UVICORN_LOGGING,
        "access_log": False,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "http": HeaderDeadlineProtocol,
    }
