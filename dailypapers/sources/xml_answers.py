"""What the arXiv API and OAI-PMH parsers share: reading an untrusted XML answer and its text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from dailypapers.errors import SourceError
from dailypapers.sources.records import clean_text


def parse_root(data: bytes, tag: str, server: str, expected: str) -> ET.Element:
    """The root element of `server`'s answer, which must be `tag` (`expected` names it); SourceError else."""
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:  # before ValueError: defusedxml's refusals are ValueErrors too
        raise SourceError(f"{server}'s answer was refused as unsafe XML ({type(exc).__name__})") from exc
    except (ET.ParseError, ValueError) as exc:
        raise SourceError(f"{server} answered with something that is not XML ({exc})") from exc
    if root.tag != tag:
        raise SourceError(f"{server} answered with <{root.tag}>, not {expected}")
    return root


def text(element: ET.Element, path: str) -> str | None:
    """The cleaned text at `path`, None where it is missing or empty."""
    found = element.find(path)
    return clean_text(found.text) if found is not None and found.text else None
