"""The paper page as Markdown, for programs that read papers: GET /papers/{id}.md and the MCP `read_paper` tool."""

from __future__ import annotations

from dailypapers.store.models import Paper
from dailypapers.validators import http_url


def paper_markdown(paper: Paper, base_url: str) -> str:
    """The paper page as Markdown (GET /papers/{id}.md, read by `HfApi.read_paper`)."""
    lines = [f"# {paper.title}", ""]
    if paper.authors:
        lines += [f"Authors: {', '.join(paper.authors)}", ""]
    if paper.published_at:
        lines += [f"Published: {paper.published_at.date().isoformat()}", ""]
    lines += [f"arXiv: [{paper.arxiv_id}]({paper.abs_url}) · PDF: {paper.pdf_url}"]
    if http_url(paper.code_url):
        lines += [f"Code: {paper.code_url}"]
    if http_url(paper.project_page):
        lines += [f"Project page: {paper.project_page}"]
    lines += ["", f"Upvotes: {paper.upvotes} · Comments: {paper.num_comments}", ""]
    if paper.ai_keywords:
        lines += [f"Keywords: {', '.join(paper.ai_keywords)}", ""]
    if paper.ai_summary:  # picked sentences of the abstract, not generated text: say so
        lines += ["## Summary (extractive: sentences of the abstract)", "", paper.ai_summary.strip(), ""]
    lines += [
        "## Abstract",
        "",
        paper.abstract.strip(),
        "",
        f"Discussion: {base_url.rstrip('/')}/papers/{paper.arxiv_id}",
        "",
    ]
    return "\n".join(lines)
