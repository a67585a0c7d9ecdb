"""Prompts: what a prompt function returns, turned into Groq messages.

Prompt functions and templates, messages and their content parts (Mirascope's
``BaseMessageParam``), ``{x:image}`` template parts and ``BasePrompt``. The public names
are exported from :mod:`mirastream`; these modules are private.
"""
