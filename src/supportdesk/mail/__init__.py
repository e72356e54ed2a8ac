"""Email: notifications out of the outbox, and replies in.

- ``addresses``: signed reply addresses and tokens, Message-IDs, safe header values.
- ``render``: an outbox row becomes an email in the recipient's language (``templates/``).
- ``sender``: the outbox worker (leases, SMTP, retries with backoff).
- ``parse`` and ``inbound``: an inbound email becomes a reply, a new case or a polite answer.
- ``cli``: ``supportdesk worker`` and ``supportdesk ingest-email``.
"""
