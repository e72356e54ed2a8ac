"""Reliability under load: real gunicorn, worker, SMTP and client processes (``-m reliability``)."""
