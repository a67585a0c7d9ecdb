"""Tools: what a model may call, and what a call becomes.

``GroqTool`` classes, functions and models as tools, their JSON schemas, toolkits
(Mirascope's ``BaseToolKit``), partial tools while arguments stream, built-in tool dicts.
The public names are exported from :mod:`mirastream`; these modules are private.
"""
