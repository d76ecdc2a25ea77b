"""Email digests: subscribe with double opt-in, compose per-subscriber emails, deliver each exactly once.

    schedule.py   which feed days a daily or weekly digest covers
    tokens.py     signed, expiring links (confirm, manage, unsubscribe) without a login
    subscribe.py  subscribe / confirm / change preferences / unsubscribe; who is an active subscriber
    content.py    the papers of a digest: trending of the period, then personalised (ranking/interests.py)
    identity.py   the site as its emails present it (name, sender, base URL, signing key)
    compose.py    pure: a subscriber + a period's papers -> an EmailMessage (HTML + plain text)
    send.py       the only code that talks SMTP; records every email it sends (digests exactly once)
    outbox.py     one-off emails (confirmations, notices): queued with the change that asks for them
    run.py        `digest send` and `digest preview`: pick who is due, compose lazily, deliver
    status.py     `digest status`: what the delivery records say
"""
