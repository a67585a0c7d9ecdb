"""Retry helpers for decorated calls (``mirastream.retries.tenacity``: the ``tenacity`` extra)."""
