"""The bench report: lines as they come, and targets checked (a miss fails the run)."""

from __future__ import annotations


class Row:
    """Collects report lines and checks each target."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def line(self, text: str) -> None:
        print(text, flush=True)

    def target(
        self, name: str, value: float, limit: float, unit: str = "x", *, at_least: bool = False
    ) -> None:
        """Check ``value <= limit`` (``at_least``: ``value >= limit``) and print it."""
        ok = value >= limit if at_least else value <= limit
        if not ok:
            self.failed.append(name)
        mark = "ok  " if ok else "MISS"
        sign = ">=" if at_least else "<="
        self.line(f"  [{mark}] {name}: {value:.2f}{unit} (target {sign} {limit:g}{unit})")
