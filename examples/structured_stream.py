"""Structured streaming: a form that fills in while the model's JSON arrives.

Run: ``.venv/bin/python examples/structured_stream.py`` (offline unless GROQ_API_KEY is
set). In a terminal the form is redrawn in place on every partial update.

With ``stream=True``, ``response_model=`` asks for the JSON as content (the schema in the
prompt: ``structured="text"``, the default for streams), which Groq streams token by
token; in tool mode Groq sends a call's arguments in one piece and the form would fill in
at once.
"""

from __future__ import annotations

import sys

from _offline import ScriptedModel, groq_or_local
from pydantic import BaseModel, Field

from mirastream import groq_call

EMAIL = """\
Hi! Ada Lovelace here, from Analytical Engines Ltd (ada@engines.example). I'd love to
attend "Streaming at scale" and "Typed Python in practice". I'm vegetarian, by the way."""


class Registration(BaseModel):
    """A conference registration."""

    name: str
    email: str
    company: str | None = None
    sessions: list[str] = Field(description="Titles of the talks they want to attend")
    dietary_needs: str | None = None


@groq_call("llama-3.3-70b-versatile", stream=True, response_model=Registration)
def fill_registration(email: str) -> str:
    return f"Fill in the registration form from this email:\n\n{email}"


def render(form: Registration) -> list[str]:
    """The form as lines; a field that has not started yet shows as ``...``."""

    def show(value: object) -> str:
        return "..." if value is None else str(value)

    sessions = "; ".join(form.sessions) if form.sessions is not None else None
    return [
        f"  name:      {show(form.name)}",
        f"  email:     {show(form.email)}",
        f"  company:   {show(form.company)}",
        f"  sessions:  {show(sessions)}",
        f"  dietary:   {show(form.dietary_needs)}",
    ]


def main() -> None:
    print(f"Email:\n{EMAIL}\n\nForm:")
    live = sys.stdout.isatty()
    stream = fill_registration(EMAIL)
    drawn = updates = 0
    form = None
    for form in stream:  # partial Registration objects, then the validated one
        updates += 1
        if live:
            print(f"\033[{drawn}F" if drawn else "", end="")  # back to the form's first line
            lines = render(form)
            print("\n".join(line.ljust(78)[:78] for line in lines), flush=True)
            drawn = len(lines)
    assert form is not None and stream.final is form
    if not live:
        print("\n".join(render(form)))
    print(f"\n{updates - 1} partial forms, then the validated Registration: {form!r}")
    print(f"cost: {stream.cost} USD")


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    json_answer={
        "name": "Ada Lovelace",
        "email": "ada@engines.example",
        "company": "Analytical Engines Ltd",
        "sessions": ["Streaming at scale", "Typed Python in practice"],
        "dietary_needs": "vegetarian",
    }
)

if __name__ == "__main__":
    with groq_or_local(OFFLINE):
        main()
