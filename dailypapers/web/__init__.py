"""Web: the HTML pages, the JSON API (shaped like the Hugging Face papers API) and the RSS/Atom feeds.

Request handling only: parse and validate the request, call community/, search/, ranking/ or digest/, render.
"""
