"""The stream fold: a sans-IO accumulator of chunks into one answer.

Every protocol fact about *combining* chunks lives here, once:

* content and reasoning are collected as pieces and joined on demand (``text += piece``
  would be quadratic);
* usage comes from ``x_groq.usage``, else from the top-level ``usage``; it is recorded,
  never summed, so the ``choices: []`` trailer that repeats it cannot count twice;
* tool calls are assembled by ``index``: Groq sends each call whole in one delta, other
  servers send OpenAI-style fragments; both are accepted. A call is complete when its
  arguments parse as a JSON object, when the next index starts, when a ``finish_reason``
  arrives, or when the stream ends. A delta with a new ``id`` at the index of a call
  already complete starts a new call (some OpenAI-compatible servers number every
  call 0); within a call still open, the first ``id`` stays;
* compound models' ``executed_tools`` are merged by their ``index`` (a later delta for
  the same tool updates it, each non-null field replacing the earlier one: arguments
  may come first, output and results later), ``annotations``
  and ``logprobs.content`` are concatenated, so the rebuilt message has them as a
  non-streamed response would;
* the envelope (id, model, created, system_fingerprint, x_groq id and seed) is taken
  from the chunks themselves, so a rebuilt ``ChatCompletion`` is faithful.

The fold never raises for bad tool calls: it reports them as completed calls and lets
the caller turn them into tools (and errors) with a toolkit.
"""

from __future__ import annotations

from typing import Any

from jiter import from_json

from mirastream.groq.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageToolCall,
    CompletionUsage,
)

__all__ = ["StreamFold", "ToolCallAssembly"]


def _joined(pieces: list[str]) -> str:
    # Join once and keep the result as the only piece: reading mid-stream stays linear.
    if len(pieces) > 1:
        pieces[:] = ["".join(pieces)]
    return pieces[0] if pieces else ""


class ToolCallAssembly:
    """One tool call being assembled from deltas that share an ``index``."""

    __slots__ = ("_depth", "arguments", "done", "id", "index", "name", "type")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id: str | None = None
        self.type = "function"
        self.name: list[str] = []
        self.arguments: list[str] = []
        self.done = False
        # Braces opened minus closed so far. Parsing is tried only when they balance, so
        # fragments do not cost a re-parse each (braces inside strings can only make the
        # check fail or come late; the finish_reason still completes the call).
        self._depth = 0

    def add(self, delta: dict[str, Any]) -> bool:
        """Merge one tool-call delta (a whole call or a fragment).

        Returns:
            Whether the arguments may now be a whole JSON object (then check with
            :meth:`arguments_complete`); ``False`` is cheap and certain.
        """
        if self.id is None:  # the call's first delta carries its id and type
            if delta.get("id"):
                self.id = delta["id"]
            if delta.get("type"):
                self.type = delta["type"]
        function = delta.get("function")
        if not function:
            return False
        name = function.get("name")
        if name:
            self.name.append(name)
        arguments = function.get("arguments")
        if not arguments:
            return False
        self.arguments.append(arguments)
        if "}" not in arguments:  # most fragments: no brace to count, cannot end it
            if "{" in arguments:
                self._depth += arguments.count("{")
            return False
        self._depth += arguments.count("{") - arguments.count("}")
        return self._depth == 0

    def arguments_complete(self) -> bool:
        """Whether the arguments so far are a whole JSON object (cheap when not)."""
        if self._depth != 0 or not self.arguments or "}" not in self.arguments[-1]:
            return False
        try:
            return isinstance(from_json("".join(self.arguments).encode()), dict)
        except ValueError:
            return False

    def to_tool_call(self) -> ChatCompletionMessageToolCall:
        """The assembled call, as a message tool call."""
        return ChatCompletionMessageToolCall(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The assembled call as JSON data (``arguments`` verbatim, ``""`` if none)."""
        return {
            "id": self.id or "",
            "type": self.type,
            "function": {"name": "".join(self.name), "arguments": "".join(self.arguments)},
        }


class StreamFold:
    """Accumulates chunks; :meth:`add` returns the tool calls each chunk completes.

    Attributes:
        finish_reasons: The ``finish_reason`` of each choice, once sent.
        chunk_count: How many chunks were added.
    """

    __slots__ = (
        "_annotations",
        "_calls_at",
        "_content",
        "_envelope",
        "_executed",
        "_logprobs",
        "_reasoning",
        "_tool_calls",
        "_top_usage",
        "_xgroq",
        "_xgroq_usage",
        "channel",
        "chunk_count",
        "finish_reasons",
        "open_calls",
    )

    def __init__(self) -> None:
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._tool_calls: list[ToolCallAssembly] = []  # in the order they started
        self._calls_at: dict[int, ToolCallAssembly] = {}  # the latest call at each index
        self._executed: dict[int, dict[str, Any]] = {}  # executed tools by index
        self._annotations: list[Any] = []
        self._logprobs: list[Any] | None = None  # logprobs.content, once any was sent
        self._envelope: dict[str, Any] = {}
        self._xgroq: dict[str, Any] = {}
        self._xgroq_usage: dict[str, Any] | None = None
        self._top_usage: dict[str, Any] | None = None
        self.channel: str | None = None
        self.finish_reasons: list[str] = []
        self.chunk_count = 0
        self.open_calls = 0  # tool calls started and not yet complete

    def add(self, chunk: ChatCompletionChunk) -> list[ToolCallAssembly] | None:
        """Fold one chunk.

        Args:
            chunk: The next chunk of the stream.

        Returns:
            The tool calls this chunk completed, in index order, or ``None``.
        """
        self.chunk_count += 1
        data = chunk._data
        if not self._envelope:
            self._take_envelope(data)
        completed = None
        choices = chunk.choices
        for choice in choices:
            delta = choice.delta
            # Groq allows n=1; with several choices only index 0 is folded into the answer.
            if len(choices) == 1 or choice.index == 0:
                content = delta.content
                if content:
                    self._content.append(content)
                reasoning = delta.reasoning
                if reasoning:
                    self._reasoning.append(reasoning)
                    if self.channel is None:
                        self.channel = delta._data.get("channel")
                d = delta._data
                if content is None or len(d) > 1:  # a plain text delta has nothing else
                    if "tool_calls" in d:
                        completed = self._add_tool_calls(d["tool_calls"] or ())
                    if "executed_tools" in d or "annotations" in d:
                        self._add_compound(d)
                logprobs = choice._data.get("logprobs")
                if logprobs:
                    self._add_logprobs(logprobs)
            if choice.finish_reason is not None:
                self.finish_reasons.append(choice.finish_reason)
                completed = (completed or []) + self._complete_all()
        if "x_groq" in data:
            self._take_xgroq(data["x_groq"])
        if data.get("usage") is not None:
            self._top_usage = data["usage"]
            if "service_tier" in data:  # sent on the include_usage trailer only
                self._envelope["service_tier"] = data["service_tier"]
        return completed

    def end(self) -> list[ToolCallAssembly]:
        """Signal the end of the stream: completes and returns any calls still open."""
        return self._complete_all()

    def _take_envelope(self, data: dict[str, Any]) -> None:
        for key in ("id", "created", "model", "system_fingerprint"):
            if key in data:
                self._envelope[key] = data[key]

    def _take_xgroq(self, xgroq: Any) -> None:
        if not isinstance(xgroq, dict):
            return
        for key, value in xgroq.items():
            if key == "usage":
                self._xgroq_usage = value
            elif value is not None:
                self._xgroq.setdefault(key, value)  # first value wins (id is repeated)

    def _add_tool_calls(self, deltas: Any) -> list[ToolCallAssembly] | None:
        completed: list[ToolCallAssembly] = []
        calls_at = self._calls_at
        for delta in deltas:
            index = delta.get("index")
            if index is None:  # not from Groq; take it as the next call
                index = len(self._tool_calls)
            call = calls_at.get(index)
            new_id = delta.get("id")
            if call is not None and call.done:
                if not new_id or new_id == call.id:
                    continue  # a repeat of a call already completed (never seen from Groq)
                call = None  # a new call at a taken index (servers that number all calls 0)
            if call is None:
                # A new call starts: calls before it can receive nothing more.
                if self.open_calls:  # else skip the scan (Groq's whole calls are all done)
                    earlier = [c for c in self._open() if c.index < index]
                    self._close(earlier)
                    completed += earlier
                call = calls_at[index] = ToolCallAssembly(index)
                self._tool_calls.append(call)
                self.open_calls += 1
            if call.add(delta) and call.arguments_complete():
                self._close([call])
                completed.append(call)
        return completed or None

    def _add_compound(self, delta: dict[str, Any]) -> None:
        for tool in delta.get("executed_tools") or ():
            if not isinstance(tool, dict):
                continue
            index = tool.get("index", len(self._executed))
            known = self._executed.get(index)
            if known is None:
                self._executed[index] = dict(tool)
            else:
                known.update((k, v) for k, v in tool.items() if v is not None)
        self._annotations += delta.get("annotations") or ()

    def _add_logprobs(self, logprobs: Any) -> None:
        content = logprobs.get("content") if isinstance(logprobs, dict) else None
        if content is not None:
            if self._logprobs is None:
                self._logprobs = []
            self._logprobs.extend(content)

    def _open(self) -> list[ToolCallAssembly]:
        return [c for c in self._tool_calls if not c.done]

    def _close(self, calls: list[ToolCallAssembly]) -> None:
        for call in calls:
            call.done = True
        self.open_calls -= len(calls)

    def _complete_all(self) -> list[ToolCallAssembly]:
        open_calls = self._open()
        self._close(open_calls)
        return open_calls

    @property
    def content(self) -> str:
        """The content so far."""
        return _joined(self._content)

    @property
    def reasoning(self) -> str:
        """The reasoning so far (``reasoning_format="parsed"`` or gpt-oss models)."""
        return _joined(self._reasoning)

    @property
    def _usage_data(self) -> dict[str, Any] | None:
        # The rule of types.reported_usage, over the chunks so far: the two may arrive on different
        # chunks (the include_usage trailer repeats the top-level one alone).
        return self._xgroq_usage if self._xgroq_usage is not None else self._top_usage

    @property
    def usage(self) -> CompletionUsage | None:
        """Usage from ``x_groq.usage``, else the top-level ``usage``; ``None`` until sent."""
        usage = self._usage_data
        return None if usage is None else CompletionUsage(usage)

    @property
    def id(self) -> str | None:
        """The completion id (``chatcmpl-...``)."""
        value: str | None = self._envelope.get("id")
        return value

    @property
    def model(self) -> str | None:
        """The model that answered, as the server reports it."""
        value: str | None = self._envelope.get("model")
        return value

    @property
    def x_groq(self) -> dict[str, Any]:
        """Groq's extension fields seen so far (``id``, ``seed``, ``error`` ...), with usage."""
        xgroq = dict(self._xgroq)
        if self._xgroq_usage is not None:
            xgroq["usage"] = self._xgroq_usage
        return xgroq

    @property
    def tool_calls(self) -> list[ToolCallAssembly]:
        """Every tool call seen, complete or not, in the order they started."""
        return list(self._tool_calls)

    @property
    def executed_tools(self) -> list[dict[str, Any]]:
        """The tools Groq ran server-side so far (compound models), in index order."""
        return [self._executed[i] for i in sorted(self._executed)]

    def message(self) -> dict[str, Any]:
        """The assistant message so far, as the API would return it."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self._reasoning:
            message["reasoning"] = self.reasoning
        if self.channel is not None:
            message["channel"] = self.channel
        if self._tool_calls:
            message["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self._executed:
            message["executed_tools"] = self.executed_tools
        if self._annotations:
            message["annotations"] = list(self._annotations)
        return message

    def completion(self) -> ChatCompletion:
        """The ``ChatCompletion`` the same request would have returned without streaming."""
        finish_reason = self.finish_reasons[-1] if self.finish_reasons else None
        data: dict[str, Any] = {
            "id": self._envelope.get("id"),
            "object": "chat.completion",
            "created": self._envelope.get("created"),
            "model": self._envelope.get("model"),
            "system_fingerprint": self._envelope.get("system_fingerprint"),
            "choices": [
                {
                    "index": 0,
                    "message": self.message(),
                    "logprobs": None if self._logprobs is None else {"content": self._logprobs},
                    "finish_reason": finish_reason,
                }
            ],
        }
        usage = self._usage_data
        if usage is not None:
            data["usage"] = usage
        if "service_tier" in self._envelope:
            data["service_tier"] = self._envelope["service_tier"]
        if self._xgroq or self._xgroq_usage is not None:
            data["x_groq"] = self.x_groq
        return ChatCompletion(data)
