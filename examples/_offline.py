"""Where the examples send requests: Groq when ``GROQ_API_KEY`` is set, else a local stand-in.

The examples build their clients from the environment, as your code would (``Groq()``,
``AsyncGroq()``, or the default client of ``groq_call``). So without a key,
:func:`groq_or_local` starts :class:`mirastream.testing.GroqServer` on loopback, points
``GROQ_BASE_URL`` at it and sets a placeholder ``GROQ_API_KEY``; the example code runs
unchanged and offline. With a key, nothing changes and the examples call Groq.

The stand-in is not a language model. :class:`ScriptedModel` answers from a few canned
rules, streamed in Groq's exact wire format with made-up but plausible usage numbers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mirastream.testing import GroqServer, RecordedRequest, Responder, Script, ToolCall, Usage

Answer = Callable[[str, list[str]], str]
"""Makes the final answer from the last user message and the tool outputs so far."""


@dataclass(frozen=True)
class ScriptedModel:
    """A stand-in for the model, as a ``GroqServer`` responder.

    It reads each request and answers, in this order of rules:

    * a tool is forced (``tool_choice``, as ``response_model=`` does): the tool call
      with ``json_answer`` as its arguments, sent in small fragments;
    * no tools offered (JSON, strict or text mode): ``json_answer`` as content, token
      by token;
    * tools are offered and fewer than ``len(tool_turns)`` tool rounds happened: the
      next turn's tool calls;
    * otherwise: ``answer``, a string or a function of the question and tool outputs.
    """

    answer: str | Answer = "This is a scripted answer from the local server."
    tool_turns: Sequence[Sequence[tuple[str, Mapping[str, Any]]]] = ()
    json_answer: Mapping[str, Any] | None = None

    def __call__(self, request: RecordedRequest) -> Script:
        body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
        messages: list[dict[str, Any]] = body.get("messages") or []
        model = str(body.get("model") or "llama-3.3-70b-versatile")
        # About four bytes per token, like a real tokenizer on English text.
        usage = Usage(prompt_tokens=len(request.raw_body) // 4 + 1)

        forced = body.get("tool_choice")
        if isinstance(forced, dict) and self.json_answer is not None:
            call = ToolCall(forced["function"]["name"], self.json_answer)
            return Script(tool_calls=[call], fragment_arguments=4, model=model, usage=usage)
        if self.json_answer is not None and not body.get("tools"):  # JSON or text mode
            return Script(
                text=json.dumps(self.json_answer, ensure_ascii=False), model=model, usage=usage
            )

        rounds = sum(1 for m in messages if m.get("role") == "assistant" and m.get("tool_calls"))
        if body.get("tools") and rounds < len(self.tool_turns):
            calls = [ToolCall(name, arguments) for name, arguments in self.tool_turns[rounds]]
            return Script(tool_calls=calls, model=model, usage=usage)

        outputs = [str(m.get("content")) for m in messages if m.get("role") == "tool"]
        questions = [m.get("content") for m in messages if m.get("role") == "user"]
        question = str(questions[-1]) if questions else ""
        text = self.answer(question, outputs) if callable(self.answer) else self.answer
        return Script(text=text, model=model, usage=usage)


@contextmanager
def groq_or_local(model: Responder) -> Iterator[str]:
    """Use Groq if ``GROQ_API_KEY`` is set; otherwise serve ``model`` on a local server.

    Args:
        model: What the local server answers with (unused when calling Groq): a
            ``ScriptedModel``, or any ``GroqServer`` responder.

    Yields:
        The base URL requests go to.
    """
    if os.environ.get("GROQ_API_KEY"):
        base_url = os.environ.get("GROQ_BASE_URL") or "https://api.groq.com"
        print(f"[backend] Groq at {base_url} (GROQ_API_KEY is set)\n", flush=True)
        yield base_url
        return
    saved = {name: os.environ.get(name) for name in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    with GroqServer(responder=model) as server:
        os.environ["GROQ_BASE_URL"] = server.base_url
        os.environ["GROQ_API_KEY"] = "offline-placeholder"  # the local server ignores it
        print(
            f"[backend] GROQ_API_KEY is not set: running offline against mirastream's local "
            f"Groq server at {server.base_url}; its replies are scripted, not a real model.\n",
            flush=True,
        )
        try:
            yield server.base_url
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
