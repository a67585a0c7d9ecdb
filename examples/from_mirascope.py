"""Coming from Mirascope v1: the same program in Mirascope's spelling and in mirastream's.

The Mirascope half changed only its imports (``mirascope`` -> ``mirastream``); the
mirastream half uses mirastream's own names. Both are the same objects
(``groq.call is groq_call``, ``BaseTool is GroqTool``), so both send the same requests.

Run: ``.venv/bin/python examples/from_mirascope.py`` (offline unless GROQ_API_KEY is set).
"""

from __future__ import annotations

from typing import Annotated

from _offline import ScriptedModel, groq_or_local
from pydantic import AfterValidator, BaseModel, Field, ValidationError

# --- mirastream's own spelling ----------------------------------------------------------
from mirastream import GroqTool, groq_call
from mirastream import prompt_template as template

# --- Mirascope v1's spelling: only the import lines differ from Mirascope ----------------
from mirastream.core import BaseTool, Messages, groq, prompt_template


class GetBookAuthor(BaseTool):
    """Returns the author of the book with the given title."""

    title: str = Field(..., description="The title of the book.")

    def call(self) -> str:
        return "Patrick Rothfuss" if self.title == "The Name of the Wind" else "Unknown"


@groq.call("llama-3.1-8b-instant", tools=[GetBookAuthor])
@prompt_template("Who wrote {book}?")
def identify_author(book: str) -> None: ...  # Mirascope writes no return type here


def _upper(value: str) -> str:
    assert value.isupper(), "Must be uppercase"
    return value


class Book(BaseModel):
    """An extracted book."""

    title: Annotated[str, AfterValidator(_upper)]
    author: str


@groq.call("llama-3.1-8b-instant", response_model=Book)
def extract_book(text: str) -> Messages.Type:
    return Messages.User(f"Extract {text}")


# The tool call again, in mirastream's spelling: the tool class above *is* a GroqTool.
@groq_call("llama-3.1-8b-instant", tools=[GetBookAuthor], stream=True)
@template("Who wrote {book}?")
def identify_author_ours(book: str) -> None: ...


def main() -> None:
    response = identify_author("The Name of the Wind")
    if tool := response.tool:
        print(f"[mirascope spelling] {tool._name()}({tool.args}) -> {tool.call()}")
    print(f"  user message: {response.user_message_param}")
    print(f"  fn_args: {response.fn_args}, cost: {response.cost:.8f} USD")

    try:
        extract_book("The Name of the Wind by Patrick Rothfuss")
    except ValidationError as error:  # as Mirascope code catches it
        first = error.errors()[0]
        print(f"[mirascope spelling] ValidationError: {first['loc']} {first['msg']}")
        usage = error._response.usage  # type: ignore[attr-defined]
        print(f"  the failed call still has its usage: {usage.total_tokens} tokens")

    stream = identify_author_ours("The Name of the Wind")
    for _, tool in stream:
        if tool is not None:
            print(f"[mirastream spelling, streamed] {tool._name()}({tool.args}) -> {tool.call()}")
    print(f"same objects: {groq.call is groq_call}, {BaseTool is GroqTool}")


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    answer="The Name of the Wind was written by Patrick Rothfuss.",
    tool_turns=[[("GetBookAuthor", {"title": "The Name of the Wind"})]],
    json_answer={"title": "The Name of the Wind", "author": "Patrick Rothfuss"},
)

if __name__ == "__main__":
    with groq_or_local(OFFLINE):
        main()
