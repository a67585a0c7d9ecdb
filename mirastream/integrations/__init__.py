"""Integrations with observability tools; each needs its own optional extra.

* :mod:`mirastream.integrations.otel`: OpenTelemetry spans (``pip install mirastream[otel]``).
"""
