"""Email digests: subscribe with double opt-in, compose per-subscriber emails, deliver each exactly once.

    periods.py    which feed days a daily or weekly digest covers
    tokens.py     signed, expiring links (confirm, manage, unsubscribe) without a login
    subscribe.py  subscribe / confirm / change preferences / unsubscribe
    content.py    the papers of a digest: trending of the period, then personalised through search
    compose.py    pure: a subscriber + a period's papers -> an EmailMessage (HTML + plain text)
    send.py       the only code that talks SMTP; records every digest it sends (exactly once)
    run.py        `digest send`: pick who is due, compose lazily, deliver
"""
