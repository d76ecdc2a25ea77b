"""The site as its emails present it: read from the settings once, then handed to the pure compose functions."""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.config import Settings


@dataclass(frozen=True)
class MailSite:
    name: str
    base_url: str  # links in emails start here
    mail_from: str  # "Name <address>"
    secret: str  # signs the links and keys the Message-IDs


def mail_site(settings: Settings) -> MailSite:
    """The site of these settings (the first call may create the key file in the data dir)."""
    return MailSite(settings.site_name, settings.origin(), settings.mail_from, settings.signing_key)
