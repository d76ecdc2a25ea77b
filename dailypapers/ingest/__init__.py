"""Ingest: the one stage that brings papers into the store.

By id or category through the arXiv API (`arxiv`), by OAI-PMH harvest (`harvest`), from snapshot or export
files (`snapshot`, which also exports), and the demo set (`demo`). Every batch goes through one writer
(`batches`), entries that cannot be stored go to one kind of reject file (`rejects`), and the arXiv clients
are configured from the settings in one place (`clients`).

It builds on `dailypapers.sources` (parsing) and `dailypapers.store` (writing), and never imports the web
app, digests, community features or the command line.
"""
