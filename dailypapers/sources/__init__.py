"""Sources: parse and validate papers from arXiv (API, OAI-PMH, snapshot files) into PaperRecords.

Parsing only, plus the polite HTTP client the API and OAI-PMH need; every setting comes in from the caller
(see `dailypapers.ingest.clients`), and storing what was parsed is the job of `dailypapers.ingest`.
"""
