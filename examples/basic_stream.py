"""A decorated streaming call: the prompt function becomes a call to Groq.

Run: ``.venv/bin/python examples/basic_stream.py`` (offline unless GROQ_API_KEY is set).
"""

from __future__ import annotations

from _offline import ScriptedModel, groq_or_local

from mirastream import groq_call


@groq_call("llama-3.1-8b-instant", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


def main() -> None:
    stream = recommend_book("fantasy")
    for chunk, _ in stream:
        print(chunk.content, end="", flush=True)
    print()

    response = stream.construct_call_response()
    print(f"\nmodel:  {response.model}")
    print(f"tokens: {response.input_tokens} in, {response.output_tokens} out")
    print(f"cost:   ${response.cost:.8f}" if response.cost is not None else "cost: unknown")


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    answer="Try *The Name of the Wind* by Patrick Rothfuss: a gifted young musician tells "
    "his own legend, from a travelling troupe to the University and beyond."
)

if __name__ == "__main__":
    with groq_or_local(OFFLINE):
        main()
