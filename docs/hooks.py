"""mkdocs hooks: pages that show data held in the code are generated from it.

Registered under ``hooks:`` in ``mkdocs.yml``. Each marker below is replaced when the
page is built, so the docs cannot drift from the code:

* ``<!-- price-table -->``: the built-in price table, from
  :func:`mirastream._prices.price_table_markdown` (the table the cost function reads);
* ``<!-- error-tree -->``: the exception tree, walked from the classes in
  :mod:`mirastream.errors` with the first line of each docstring.
"""

from __future__ import annotations

import inspect
from typing import Any

PRICE_TABLE = "<!-- price-table -->"
ERROR_TREE = "<!-- error-tree -->"


def price_table() -> str:
    """The built-in price table as Markdown."""
    from mirastream._prices import PRICES, price_table_markdown

    return price_table_markdown(PRICES)


def error_tree() -> str:
    """The exception tree of ``mirastream.errors`` as a fenced text block."""
    from mirastream import errors

    ours = {getattr(errors, name) for name in errors.__all__}
    rows: list[tuple[str, str]] = []

    def walk(cls: type[BaseException], prefix: str, last: bool, root: bool) -> None:
        summary = (inspect.getdoc(cls) or "").split("\n", 1)[0].replace("``", "")
        branch = "" if root else ("└── " if last else "├── ")
        rows.append((f"{prefix}{branch}{cls.__name__}", summary))
        children = [c for c in cls.__subclasses__() if c in ours]
        child_prefix = prefix if root else prefix + ("    " if last else "│   ")
        for i, child in enumerate(children):
            walk(child, child_prefix, i == len(children) - 1, False)

    walk(errors.MirastreamError, "", True, True)
    width = max(len(head) for head, _ in rows) + 2
    lines = [f"{head:<{width}}{summary}".rstrip() for head, summary in rows]
    return "```text\n" + "\n".join(lines) + "\n```\n"


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Replace the markers; ``costs.md`` and ``errors.md`` must keep theirs."""
    source = page.file.src_uri
    for marker, render, home in (
        (PRICE_TABLE, price_table, "costs.md"),
        (ERROR_TREE, error_tree, "errors.md"),
    ):
        if marker in markdown:
            markdown = markdown.replace(marker, render())
        elif source == home:
            raise ValueError(f"{home} lost its {marker} marker")
    return markdown
