"""Structured output: ``response_model=`` and its four modes.

Tool, JSON, strict and text modes; Groq's strict schema rules; incremental partial parsing;
list items as they complete. The public names are exported from :mod:`mirastream`; these
modules are private.
"""
