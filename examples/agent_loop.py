"""An agent loop: stream a turn, run the tools it calls, send the results back, repeat.

Run: ``.venv/bin/python examples/agent_loop.py`` (offline unless GROQ_API_KEY is set).
"""

from __future__ import annotations

from typing import Any

from _offline import ScriptedModel, groq_or_local
from pydantic import Field

from mirastream import GroqTool, Messages, groq_call

MAX_STEPS = 6
RATES_TO_EUR = {"EUR": 1.0, "USD": 0.92, "JPY": 0.0062, "GBP": 1.17}  # demo rates


def get_weather(city: str) -> str:
    """Get tomorrow's weather forecast for a city.

    Args:
        city: The city, e.g. "Tokyo".
    """
    return f"{city}: 17°C, light rain until noon, then cloudy"


class ConvertCurrency(GroqTool):
    """Convert an amount of money from one currency to another."""

    amount: float = Field(description="The amount to convert")
    from_currency: str = Field(description='ISO 4217 code, e.g. "EUR"')
    to_currency: str = Field(description='ISO 4217 code, e.g. "JPY"')

    def call(self) -> str:
        try:
            euros = self.amount * RATES_TO_EUR[self.from_currency.upper()]
            converted = euros / RATES_TO_EUR[self.to_currency.upper()]
        except KeyError as exc:
            return f"error: no rate for {exc.args[0]}"
        return f"{self.amount:,.2f} {self.from_currency} = {converted:,.0f} {self.to_currency}"


@groq_call("llama-3.3-70b-versatile", stream=True, tools=[get_weather, ConvertCurrency])
def travel_agent(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    system = "You help travellers. Call tools for facts, then answer in two sentences."
    return [Messages.System(system), *history]


def run(question: str) -> str:
    """Loop until the model answers without calling a tool; return that answer."""
    history: list[dict[str, Any]] = [Messages.User(question)]
    for step in range(1, MAX_STEPS + 1):
        print(f"step {step}: ", end="", flush=True)
        stream = travel_agent(history)
        tools_and_outputs = []
        for chunk, tool in stream:
            print(chunk.content, end="", flush=True)
            if tool is not None:
                arguments = ", ".join(f"{name}={value!r}" for name, value in tool.args.items())
                output = tool.call()
                print(f"model calls {tool._name()}({arguments})\n        tool returned {output!r}")
                tools_and_outputs.append((tool, output))
        response = stream.construct_call_response()
        history.append(response.message_param)
        if not tools_and_outputs:  # no tool calls: this is the final answer
            print()
            return response.content
        history += response.tool_message_params(tools_and_outputs)
    raise RuntimeError(f"no final answer after {MAX_STEPS} steps")


def main() -> None:
    question = (
        "I land in Tokyo tomorrow with 300 EUR. What's the weather, and how many yen is that?"
    )
    print(f"Q: {question}\n")
    run(question)


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    tool_turns=[
        [("get_weather", {"city": "Tokyo"})],
        [("ConvertCurrency", {"amount": 300, "from_currency": "EUR", "to_currency": "JPY"})],
    ],
    answer=lambda question, outputs: (
        f"Tomorrow in {outputs[0]}, so bring an umbrella for the morning. "
        f"At the demo rate, {outputs[1].replace(' = ', ' is about ')}."
    ),
)

if __name__ == "__main__":
    with groq_or_local(OFFLINE):
        main()
