"""Papers as reference-manager files: BibTeX, RIS and CSL-JSON, with what Zotero, JabRef or Mendeley need to
file an arXiv preprint (title, every author, year and month, eprint with archivePrefix and primaryClass, DOI,
URL, abstract).

Each format writes a list of papers as one text, or streams batches of them (`ExportFormat.stream`): a library's
export is read from the store a batch at a time, so its memory does not grow with the library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dailypapers.store.models import Paper

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}~^\\])")
_BIBTEX_REPLACEMENTS = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def split_name(name: str) -> tuple[str, str]:
    """(given, family) of 'Ada B. Lovelace' -> ('Ada B.', 'Lovelace'); a single word is the family name."""
    parts = name.split()
    return " ".join(parts[:-1]), parts[-1] if parts else ""


def _bibtex_text(value: str) -> str:
    value = " ".join(value.split())
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_REPLACEMENTS.get(m.group(1), "\\" + m.group(1)), value)


def citation_key(paper: Paper) -> str:
    return "arXiv_" + re.sub(r"[^A-Za-z0-9]+", "_", paper.arxiv_id)


def _bibtex_entry(paper: Paper) -> str:
    fields = [
        ("title", "{" + _bibtex_text(paper.title) + "}"),  # inner braces keep the title's capitals
        ("author", " and ".join(_bibtex_text(a) for a in paper.authors)),
    ]
    if paper.published_at:
        fields.append(("year", str(paper.published_at.year)))
    fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
    if paper.primary_category:
        fields.append(("primaryClass", paper.primary_category))
    if paper.doi:
        fields.append(("doi", _bibtex_text(paper.doi)))
    fields += [("url", paper.abs_url), ("abstract", _bibtex_text(paper.abstract))]
    lines = [f"  {name} = {{{value}}}" for name, value in fields if value]
    if paper.published_at:  # a month macro, unbraced, as BibTeX styles expect
        lines.insert(3, f"  month = {MONTHS[paper.published_at.month - 1]}")
    return f"@misc{{{citation_key(paper)},\n" + ",\n".join(lines) + "\n}\n"


def _ris_entry(paper: Paper) -> str:
    lines = [("TY", "UNPB"), ("TI", " ".join(paper.title.split()))]
    for author in paper.authors:
        given, family = split_name(author)
        lines.append(("AU", f"{family}, {given}" if given else family))
    if paper.published_at:
        day = paper.published_at
        lines += [("PY", str(day.year)), ("DA", f"{day.year}/{day.month:02d}/{day.day:02d}/")]
    lines += [("AN", f"arXiv:{paper.arxiv_id}"), ("DB", "arXiv"), ("PB", "arXiv")]
    if paper.primary_category:
        lines.append(("KW", paper.primary_category))
    if paper.doi:
        lines.append(("DO", paper.doi))
    lines += [("UR", paper.abs_url), ("AB", " ".join(paper.abstract.split())), ("ER", "")]
    return "\n".join(f"{tag}  - {value}" for tag, value in lines) + "\n"


def csl_item(paper: Paper) -> dict:
    """One CSL-JSON item: type "article" is CSL's preprint."""
    authors = []
    for name in paper.authors:
        given, family = split_name(name)
        authors.append({"family": family, "given": given} if given else {"family": family})
    item: dict[str, Any] = {
        "id": paper.arxiv_id,
        "type": "article",
        "title": paper.title,
        "author": authors,
        "publisher": "arXiv",
        "number": f"arXiv:{paper.arxiv_id}",
        "URL": paper.abs_url,
        "abstract": paper.abstract,
    }
    if paper.published_at:
        day = paper.published_at
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    if paper.doi:
        item["DOI"] = paper.doi
    if paper.primary_category:
        item["keyword"] = paper.primary_category
    return item


def _csl_json_entry(paper: Paper) -> str:
    return json.dumps(csl_item(paper), ensure_ascii=False)


@dataclass(frozen=True)
class ExportFormat:
    suffix: str
    media_type: str
    entry: Callable[[Paper], str]
    between: str = "\n"  # between two entries
    opening: str = ""
    closing: str = ""

    def stream(self, batches: Iterable[Iterable[Paper]]) -> Iterator[str]:
        """The file, a piece per batch of papers: what a StreamingResponse sends."""
        yield self.opening
        first = True
        for batch in batches:
            entries = [self.entry(p) for p in batch]
            if entries:
                yield ("" if first else self.between) + self.between.join(entries)
                first = False
        yield self.closing

    def write(self, papers: Iterable[Paper]) -> str:
        return "".join(self.stream([papers]))


FORMATS = {
    "bib": ExportFormat("bib", "application/x-bibtex; charset=utf-8", _bibtex_entry),
    "ris": ExportFormat("ris", "application/x-research-info-systems; charset=utf-8", _ris_entry),
    # a JSON array, an item a line
    "json": ExportFormat(
        "json",
        "application/vnd.citationstyles.csl+json; charset=utf-8",
        _csl_json_entry,
        between=",\n",
        opening="[\n",
        closing="\n]\n",
    ),
}
