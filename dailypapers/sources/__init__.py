"""Sources: parse and validate papers from arXiv (API, OAI-PMH, snapshot files) into PaperRecords."""
