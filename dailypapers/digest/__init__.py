"""Email digests: subscribe with double opt-in, compose per-subscriber emails, deliver each exactly once.

schedule.py   which feed days a daily or weekly digest covers
tokens.py     signed, expiring links (confirm, manage, unsubscribe) without a login
subscribe.py  subscribe / confirm / change preferences / unsubscribe; who is an active subscriber
content.py    the papers of a digest: trending of the period, then personalised (ranking/interests.py)
identity.py   the site as its emails present it (name, sender, base URL, signing key)
compose.py    pure: a subscriber + a period's papers -> an EmailMessage (HTML + plain text)
smtp.py       the one SMTP client: a reused connection, retries with backoff, what became of each message
records.py    each email's row and its states (digests exactly once, one-off emails from the outbox)
send.py       the delivery loop: every email goes out through it, and is recorded as it goes
outbox.py     one-off emails (confirmations, notices): queued with the change that asks for them
run.py        `send_due_digests` (`digest send`, the queue, the scheduler) and `digest preview`: pick who is
              due, compose lazily, deliver
status.py     `digest status`: what the delivery records say
group_digest.py  the reading groups' weekly email, sent with the weekly digest through the same delivery
"""
