"""A member's data as one file: the export format, everything a member has written out, and its import into
another dailypapers instance.

Modules:

    format.py  the format's pydantic models, defined once for writing and for validating a file; its JSON Schema
    export.py  everything a member has, for its owner only, and their library as BibTeX
    load.py  an export read into an account, all or nothing, papers matched by arXiv id
"""
