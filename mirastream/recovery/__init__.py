"""Recovery: ``reask=`` and ``fallback=``.

Ask again after a bad answer; go to the next model after a rate limit or an outage.
Sans-IO decisions live in ``_attempts``, the sync/async shells in ``_recovering``. The
public names are exported from :mod:`mirastream`; these modules are private.
"""
