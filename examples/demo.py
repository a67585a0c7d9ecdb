"""mirastream demo: a streamed call with a tool round trip, then a structured stream.

Run it with ``make demo``. Without ``GROQ_API_KEY`` it runs offline against mirastream's
local Groq server, whose replies are scripted; with ``GROQ_API_KEY`` set the same code
calls Groq. It ends with a summary of every call: tokens, Groq's timings, cost, time to first
token and tokens/s, and the rate limits left.
"""

from __future__ import annotations

import sys
from typing import Any

from _offline import ScriptedModel, groq_or_local
from pydantic import BaseModel, Field

from mirastream import GroqCallResponse, Messages, groq_call, prompt_template

MODEL = "llama-3.3-70b-versatile"
QUESTION = (
    "I'm spending Saturday in Lisbon. What's the weather going to be, and what should I pack?"
)


def get_weather(city: str) -> str:
    """Get Saturday's weather forecast for a city.

    Args:
        city: The city, e.g. "Lisbon".
    """
    return f"{city}: 23°C, sunny, a strong breeze by the river in the afternoon"


@groq_call(MODEL, stream=True, tools=[get_weather])
@prompt_template(
    """
    SYSTEM: You are a concise travel assistant. Use the tools for facts you do not know.
    MESSAGES: {history}
    """
)
def travel_assistant(history: list[dict[str, Any]]) -> None: ...


class PackingList(BaseModel):
    """A packing list for a day trip."""

    city: str
    forecast: str = Field(description="The weather in a few words")
    items: list[str] = Field(description="Three to five things to bring")


@groq_call(MODEL, stream=True, response_model=PackingList)
def packing_list(advice: str) -> str:
    return f"Turn this travel advice into a packing list:\n{advice}"


def chat(question: str) -> list[GroqCallResponse]:
    """Stream the assistant's turns, running the tools it calls, until it answers."""
    history: list[dict[str, Any]] = [Messages.User(question)]
    responses = []
    while True:
        stream = travel_assistant(history)
        tools_and_outputs = []
        for chunk, tool in stream:
            print(chunk.content, end="", flush=True)
            if tool is not None:
                output = tool.call()
                arguments = ", ".join(f"{name}={value!r}" for name, value in tool.args.items())
                print(f"[tool] {tool._name()}({arguments}) -> {output!r}")
                tools_and_outputs.append((tool, output))
        response = stream.construct_call_response()
        responses.append(response)
        history.append(response.message_param)
        if not tools_and_outputs:
            print()
            return responses
        history += response.tool_message_params(tools_and_outputs)


def fill_packing_list(advice: str) -> GroqCallResponse:
    """Stream a PackingList: partial models arrive as the JSON does."""
    stream = packing_list(advice)
    updates = 0
    for partial in stream:
        updates += 1
        if sys.stdout.isatty():  # redraw one line in place
            print("\r\033[K" + repr(partial)[:100], end="", flush=True)
    if sys.stdout.isatty():
        print("\r\033[K", end="")
    final = stream.final
    assert final is not None
    print(f"{updates - 1} partial PackingLists as the JSON arrived, then the validated one:")
    print(f"  city:     {final.city}\n  forecast: {final.forecast}")
    for item in final.items:
        print(f"  - {item}")
    return stream.construct_call_response()


def summary(calls: list[tuple[str, GroqCallResponse]]) -> None:
    def ms(seconds: float | None) -> str:
        return "-" if seconds is None else f"{seconds * 1000:.1f}"

    def ms_of(millis: float | None) -> str:
        return "-" if millis is None else f"{millis:.1f}"

    def rate(per_second: float | None) -> str:
        return "-" if per_second is None else f"{per_second:,.0f}"

    print(
        "\ncall            in   out  queue ms prompt ms compl. ms total ms  cost USD"
        "  1st tok ms  tok/s"
    )
    total = 0.0
    for label, response in calls:
        usage = response.usage
        if usage is None:
            print(f"{label:12} (no usage reported)")
            continue
        cost = response.cost
        total += cost or 0.0
        print(
            f"{label:12} {usage.prompt_tokens:5} {usage.completion_tokens:5}"
            f" {ms(usage.queue_time):>9} {ms(usage.prompt_time):>9}"
            f" {ms(usage.completion_time):>9} {ms(usage.total_time):>8}"
            f"  {'n/a' if cost is None else f'{cost:.6f}'}"
            f"  {ms_of(response.time_to_first_token):>10} {rate(response.tokens_per_second):>6}"
        )
    print(f"{'total':12} {total:60.6f}")
    limits = calls[-1][1].rate_limits
    print(
        f"Rate limits left: {limits.remaining_requests}/{limits.limit_requests} requests"
        f" (reset in {limits.reset_requests} s), {limits.remaining_tokens}/{limits.limit_tokens}"
        f" tokens (reset in {limits.reset_tokens} s)"
    )
    print("1st tok ms and tok/s are measured here, at the client, from each call's start.")
    print("Timings are Groq's own (usage.queue_time ...); cost is tokens x mirastream.prices().")
    print("Offline, the local server makes up the token counts and timings.")


def main() -> None:
    with groq_or_local(OFFLINE):
        print(f"Q: {QUESTION}\n")
        turns = chat(QUESTION)
        print("\nStructured stream: the advice as a PackingList")
        structured = fill_packing_list(turns[-1].content)
    calls = [("tool call" if turn.tool_calls else "answer", turn) for turn in turns]
    summary([*calls, ("structured", structured)])


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    tool_turns=[[("get_weather", {"city": "Lisbon"})]],
    answer=lambda question, outputs: (
        f"The forecast says {outputs[-1].split(': ', 1)[-1]}. Pack sunglasses, sunscreen and "
        "a light windbreaker for the afternoon breeze by the river."
    ),
    json_answer={
        "city": "Lisbon",
        "forecast": "23°C, sunny, breezy in the afternoon",
        "items": ["sunglasses", "sunscreen", "light windbreaker", "water bottle"],
    },
)

if __name__ == "__main__":
    main()
