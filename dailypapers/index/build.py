"""Build or refresh every search index: the one function behind `dailypapers index` and the demo."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from dailypapers.config import get_settings
from dailypapers.index.descriptions import describe_pending, keyphrase_method
from dailypapers.index.embedders import get_embedder
from dailypapers.index.engines import keyword_index, refresh_vector_index
from dailypapers.index.stored_vectors import embed_pending
from dailypapers.index.token_pool import cores
from dailypapers.store.db import get_engine
from dailypapers.store.embeddings import count_pending, stored_models
from dailypapers.store.keyphrases import paper_total


@dataclass
class ModelReport:
    model: str
    embedded: int
    embed_seconds: float
    vectors: int
    ann: bool
    ann_kind: str
    index_seconds: float
    rebuilt: bool


@dataclass
class IndexReport:
    keyword_rows: int
    keyword_seconds: float
    models: list[ModelReport] = field(default_factory=list)
    described: int = 0  # papers whose keywords and summary were (re)computed

    def lines(self) -> list[str]:
        lines = [f"keyword index: {self.keyword_rows} papers ({self.keyword_seconds:.1f} s)"]
        for m in self.models:
            rate = f", {m.embedded / m.embed_seconds:.0f}/s" if m.embedded and m.embed_seconds else ""
            kind = f"ANN ({m.ann_kind})" if m.ann else "exact scan"
            state = f"rebuilt in {m.index_seconds:.1f} s" if m.rebuilt else "up to date"
            lines.append(
                f"{m.model}: {m.embedded} papers embedded ({m.embed_seconds:.1f} s{rate}); "
                f"vector index {m.vectors} vectors, {kind}, {state}"
            )
        lines.append(f"keywords and summary: {self.described} papers computed")
        return lines


def build_index(
    models: list[str] | None = None, batch_size: int = 256, rebuild_keyword: bool = False, progress=None, settings=None
) -> IndexReport:
    """Keyword index catch-up (or rebuild), then for each model: embed what is new or changed, refresh the vectors;
    last, the keywords and summary of new or changed papers (settings.keyphrase_model says how)."""
    settings = settings or get_settings()
    engine = get_engine(settings)
    started = time.perf_counter()
    rows = keyword_index(engine, settings).refresh(rebuild=rebuild_keyword)
    report = IndexReport(keyword_rows=rows, keyword_seconds=time.perf_counter() - started)
    models = models or [settings.embedding_model]
    for name in models:
        embedder = get_embedder(name, settings.data_dir)
        pending = count_pending(engine, embedder.name)
        bar = progress(f"embedding ({name})", pending) if (progress and pending) else nullcontext(None)
        with bar as advance:
            result = embed_pending(engine, embedder, batch_size=batch_size, advance=advance)
        started = time.perf_counter()
        built = refresh_vector_index(engine, embedder.name, embedder.dim, settings)
        report.models.append(
            ModelReport(
                name,
                result.embedded,
                result.seconds,
                built.count,
                built.ann,
                built.ann_kind,
                time.perf_counter() - started,
                built.rebuilt,
            )
        )
    method = keyphrase_method(settings.keyphrase_model, settings.data_dir)
    # about 2 ms a paper: at the scale of arXiv, hours of one core, so it has its own bar
    total = paper_total(engine)
    bar = progress("keywords and summaries", total) if progress else nullcontext(None)
    # a process per core, but no more than there are batches: a database of one batch (the demo) stays here
    workers = min(settings.keyphrase_workers or cores(), -(-total // batch_size))
    with bar as advance:
        report.described = describe_pending(engine, method, batch_size=batch_size, advance=advance, workers=workers)
    return report


def rebuild_from_store(settings=None) -> IndexReport:
    """After a restore: the keyword index rebuilt, and each stored model's vector files written again, from the
    database alone (nothing is embedded: the vectors are in it; on PostgreSQL they are its own index)."""
    settings = settings or get_settings()
    engine = get_engine(settings)
    started = time.perf_counter()
    report = IndexReport(
        keyword_rows=keyword_index(engine, settings).refresh(rebuild=True),
        keyword_seconds=time.perf_counter() - started,
    )
    if engine.dialect.name == "sqlite":
        for model, dim in stored_models(engine).items():
            started = time.perf_counter()
            built = refresh_vector_index(engine, model, dim, settings)
            report.models.append(
                ModelReport(
                    model, 0, 0.0, built.count, built.ann, built.ann_kind, time.perf_counter() - started, built.rebuilt
                )
            )
    return report
