"""Wire types of Groq's chat-completions API, read like the groq SDK's.

``chunk.choices[0].delta.content``, ``chunk.x_groq.usage.prompt_tokens`` and the rest
work as in the groq SDK. Each object is a view over the decoded JSON (see
:mod:`mirastream.groq._wire` for why); unknown fields are kept and readable as
attributes (``delta.channel``), in ``to_dict()`` and in equality.
"""

from __future__ import annotations

from typing import Any, Literal

from mirastream.groq._wire import (
    ListField,
    ObjectField,
    RequiredListField,
    RequiredObjectField,
    ScalarField,
    WireObject,
    merge_fields,
)

__all__ = [
    "Annotation",
    "AnnotationDocumentCitation",
    "AnnotationFunctionCitation",
    "ChatCompletion",
    "ChatCompletionChoice",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "ChatCompletionTokenLogprob",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "CompletionTokensDetails",
    "CompletionUsage",
    "ExecutedTool",
    "ExecutedToolBrowserResult",
    "ExecutedToolCodeResult",
    "ExecutedToolCodeResultChart",
    "ExecutedToolCodeResultChartElement",
    "ExecutedToolSearchResults",
    "ExecutedToolSearchResultsResult",
    "Function",
    "FunctionCall",
    "McpListTool",
    "McpListToolTool",
    "PromptTokensDetails",
    "TopLogprob",
    "UsageBreakdown",
    "UsageBreakdownModel",
    "XGroq",
    "XGroqDebug",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
Role = Literal["system", "user", "assistant", "tool"]


def reported_usage(data: dict[str, Any]) -> dict[str, Any] | None:
    """The usage a chunk or completion reports: ``x_groq.usage``, else top-level ``usage``.

    Groq has always sent ``x_groq.usage``; newer responses repeat it at the top level
    (and the ``include_usage`` trailer has only that). The two are never added up.
    """
    xgroq = data.get("x_groq")
    usage = xgroq.get("usage") if isinstance(xgroq, dict) else None
    return usage if usage is not None else data.get("usage")


class PromptTokensDetails(WireObject):
    """Breakdown of prompt tokens."""

    __slots__ = ()
    cached_tokens: ScalarField[int | None] = ScalarField("cached_tokens")


class CompletionTokensDetails(WireObject):
    """Breakdown of completion tokens."""

    __slots__ = ()
    reasoning_tokens: ScalarField[int | None] = ScalarField("reasoning_tokens")


class CompletionUsage(WireObject):
    """Token counts and Groq's timings (seconds) for one request.

    ``total_time = prompt_time + completion_time`` (queue time excluded);
    ``cached_tokens`` are part of ``prompt_tokens``; ``reasoning_tokens`` part of
    ``completion_tokens``.
    """

    __slots__ = ()
    prompt_tokens: ScalarField[int] = ScalarField("prompt_tokens")
    completion_tokens: ScalarField[int] = ScalarField("completion_tokens")
    total_tokens: ScalarField[int] = ScalarField("total_tokens")
    queue_time: ScalarField[float | None] = ScalarField("queue_time")
    prompt_time: ScalarField[float | None] = ScalarField("prompt_time")
    completion_time: ScalarField[float | None] = ScalarField("completion_time")
    total_time: ScalarField[float | None] = ScalarField("total_time")
    prompt_tokens_details = ObjectField("prompt_tokens_details", PromptTokensDetails)
    completion_tokens_details = ObjectField("completion_tokens_details", CompletionTokensDetails)
    # Only in a non-streamed completion's x_groq.usage (the SDK's XGroqUsage there).
    dram_cached_tokens: ScalarField[int | None] = ScalarField("dram_cached_tokens")
    sram_cached_tokens: ScalarField[int | None] = ScalarField("sram_cached_tokens")

    @property
    def cached_tokens(self) -> int | None:
        """``prompt_tokens_details.cached_tokens``, if reported."""
        details = self._data.get("prompt_tokens_details")
        return details.get("cached_tokens") if isinstance(details, dict) else None

    @property
    def reasoning_tokens(self) -> int | None:
        """``completion_tokens_details.reasoning_tokens``, if reported."""
        details = self._data.get("completion_tokens_details")
        return details.get("reasoning_tokens") if isinstance(details, dict) else None


class UsageBreakdownModel(WireObject):
    """Usage of one model inside a compound request."""

    __slots__ = ()
    model: ScalarField[str] = ScalarField("model")
    usage = ObjectField("usage", CompletionUsage)


class UsageBreakdown(WireObject):
    """Per-model usage of a compound request (``x_groq.usage_breakdown``)."""

    __slots__ = ()
    models = ListField("models", UsageBreakdownModel)


class XGroqDebug(WireObject):
    """Token ids and strings of the request, sent only when it asked for debug output."""

    __slots__ = ()
    input_token_ids: ScalarField[list[int] | None] = ScalarField("input_token_ids")
    input_tokens: ScalarField[list[str] | None] = ScalarField("input_tokens")
    output_token_ids: ScalarField[list[int] | None] = ScalarField("output_token_ids")
    output_tokens: ScalarField[list[str] | None] = ScalarField("output_tokens")


class XGroq(WireObject):
    """Groq's extension object: request id, seed, usage on the final chunk, errors."""

    __slots__ = ()
    id: ScalarField[str | None] = ScalarField("id")
    seed: ScalarField[int | None] = ScalarField("seed")
    error: ScalarField[str | None] = ScalarField("error")
    debug = ObjectField("debug", XGroqDebug)
    usage = ObjectField("usage", CompletionUsage)
    usage_breakdown = ObjectField("usage_breakdown", UsageBreakdown)


class ChoiceDeltaToolCallFunction(WireObject):
    """A (possibly partial) function call inside a tool-call delta."""

    __slots__ = ()
    name: ScalarField[str | None] = ScalarField("name")
    arguments: ScalarField[str | None] = ScalarField("arguments")


class ChoiceDeltaToolCall(WireObject):
    """A tool call, or a fragment of one, in a delta; fragments share an ``index``."""

    __slots__ = ()
    index: ScalarField[int] = ScalarField("index")
    id: ScalarField[str | None] = ScalarField("id")
    type: ScalarField[Literal["function"] | None] = ScalarField("type")
    function = ObjectField("function", ChoiceDeltaToolCallFunction)


class ChoiceDeltaFunctionCall(WireObject):
    """The deprecated ``function_call`` of a delta (replaced by ``tool_calls``)."""

    __slots__ = ()
    name: ScalarField[str | None] = ScalarField("name")
    arguments: ScalarField[str | None] = ScalarField("arguments")


class ExecutedToolSearchResultsResult(WireObject):
    """One web search hit of a built-in search tool."""

    __slots__ = ()
    title: ScalarField[str | None] = ScalarField("title")
    url: ScalarField[str | None] = ScalarField("url")
    content: ScalarField[str | None] = ScalarField("content")
    score: ScalarField[float | None] = ScalarField("score")


class ExecutedToolSearchResults(WireObject):
    """What a built-in search tool found: ``results`` (and image URLs)."""

    __slots__ = ()
    results = ListField("results", ExecutedToolSearchResultsResult)
    images: ScalarField[list[str] | None] = ScalarField("images")


class ExecutedToolBrowserResult(WireObject):
    """One page a built-in browser tool visited."""

    __slots__ = ()
    title: ScalarField[str] = ScalarField("title")
    url: ScalarField[str] = ScalarField("url")
    content: ScalarField[str | None] = ScalarField("content")
    live_view_url: ScalarField[str | None] = ScalarField("live_view_url")


class ExecutedToolCodeResultChartElement(WireObject):
    """One element (series, bar, point set ...) of a chart drawn by executed code."""

    __slots__ = ()
    label: ScalarField[str] = ScalarField("label")
    angle: ScalarField[float | None] = ScalarField("angle")
    first_quartile: ScalarField[float | None] = ScalarField("first_quartile")
    group: ScalarField[str | None] = ScalarField("group")
    max: ScalarField[float | None] = ScalarField("max")
    median: ScalarField[float | None] = ScalarField("median")
    min: ScalarField[float | None] = ScalarField("min")
    outliers: ScalarField[list[float] | None] = ScalarField("outliers")
    points: ScalarField[list[list[float]] | None] = ScalarField("points")
    radius: ScalarField[float | None] = ScalarField("radius")
    third_quartile: ScalarField[float | None] = ScalarField("third_quartile")
    value: ScalarField[float | None] = ScalarField("value")


class ExecutedToolCodeResultChart(WireObject):
    """A chart drawn by executed code."""

    __slots__ = ()
    type: ScalarField[str] = ScalarField("type")
    elements = RequiredListField("elements", ExecutedToolCodeResultChartElement)
    title: ScalarField[str | None] = ScalarField("title")
    x_label: ScalarField[str | None] = ScalarField("x_label")
    x_scale: ScalarField[str | None] = ScalarField("x_scale")
    x_tick_labels: ScalarField[list[str] | None] = ScalarField("x_tick_labels")
    x_ticks: ScalarField[list[float] | None] = ScalarField("x_ticks")
    x_unit: ScalarField[str | None] = ScalarField("x_unit")
    y_label: ScalarField[str | None] = ScalarField("y_label")
    y_scale: ScalarField[str | None] = ScalarField("y_scale")
    y_tick_labels: ScalarField[list[str] | None] = ScalarField("y_tick_labels")
    y_ticks: ScalarField[list[float] | None] = ScalarField("y_ticks")
    y_unit: ScalarField[str | None] = ScalarField("y_unit")


class ExecutedToolCodeResult(WireObject):
    """One output of code run by a built-in code tool: text, a PNG, charts."""

    __slots__ = ()
    text: ScalarField[str | None] = ScalarField("text")
    png: ScalarField[str | None] = ScalarField("png")
    chart = ObjectField("chart", ExecutedToolCodeResultChart)
    charts = ListField("charts", ExecutedToolCodeResultChart)


class ExecutedTool(WireObject):
    """A tool Groq ran server-side (compound models, built-in tools).

    ``search_results``, ``browser_results`` and ``code_results`` are typed as in the
    groq SDK (``tool.search_results.results[0].url``).
    """

    __slots__ = ()
    index: ScalarField[int] = ScalarField("index")
    type: ScalarField[str] = ScalarField("type")
    arguments: ScalarField[str] = ScalarField("arguments")
    output: ScalarField[str | None] = ScalarField("output")
    search_results = ObjectField("search_results", ExecutedToolSearchResults)
    browser_results = ListField("browser_results", ExecutedToolBrowserResult)
    code_results = ListField("code_results", ExecutedToolCodeResult)


class AnnotationDocumentCitation(WireObject):
    """A citation of a document given in the request (``documents``)."""

    __slots__ = ()
    document_id: ScalarField[str] = ScalarField("document_id")
    start_index: ScalarField[int] = ScalarField("start_index")
    end_index: ScalarField[int] = ScalarField("end_index")


class AnnotationFunctionCitation(WireObject):
    """A citation of a tool call's result."""

    __slots__ = ()
    tool_call_id: ScalarField[str] = ScalarField("tool_call_id")
    start_index: ScalarField[int] = ScalarField("start_index")
    end_index: ScalarField[int] = ScalarField("end_index")


class Annotation(WireObject):
    """A citation attached to the content (``start_index``/``end_index`` into it)."""

    __slots__ = ()
    type: ScalarField[Literal["document_citation", "function_citation"]] = ScalarField("type")
    document_citation = ObjectField("document_citation", AnnotationDocumentCitation)
    function_citation = ObjectField("function_citation", AnnotationFunctionCitation)


class TopLogprob(WireObject):
    """One of the most likely tokens at a position."""

    __slots__ = ()
    token: ScalarField[str] = ScalarField("token")
    bytes: ScalarField[list[int] | None] = ScalarField("bytes")
    logprob: ScalarField[float] = ScalarField("logprob")


class ChatCompletionTokenLogprob(WireObject):
    """The log probability of one generated token, with the top alternatives."""

    __slots__ = ()
    token: ScalarField[str] = ScalarField("token")
    bytes: ScalarField[list[int] | None] = ScalarField("bytes")
    logprob: ScalarField[float] = ScalarField("logprob")
    top_logprobs = RequiredListField("top_logprobs", TopLogprob)


class ChoiceLogprobs(WireObject):
    """Log probabilities of the content tokens (documented by Groq as not yet supported)."""

    __slots__ = ()
    content = ListField("content", ChatCompletionTokenLogprob)


class ChoiceDelta(WireObject):
    """What one chunk adds to the message."""

    # Read on every chunk, so copied into slots when the chunk is built.
    __slots__ = ("content", "reasoning")
    content: str | None
    reasoning: str | None

    role: ScalarField[Role | None] = ScalarField("role")

    tool_calls = ListField("tool_calls", ChoiceDeltaToolCall)
    executed_tools = ListField("executed_tools", ExecutedTool)
    channel: ScalarField[str | None] = ScalarField("channel")
    annotations = ListField("annotations", Annotation)
    function_call = ObjectField("function_call", ChoiceDeltaFunctionCall)

    def __init__(self, data: dict[str, Any] | None = None, /, **fields: Any) -> None:
        _fill_delta(self, merge_fields(data, fields))


class Choice(WireObject):
    """One choice of a chunk."""

    __slots__ = ("delta", "finish_reason")
    delta: ChoiceDelta
    finish_reason: FinishReason | None

    index: ScalarField[int] = ScalarField("index")

    logprobs = ObjectField("logprobs", ChoiceLogprobs)

    def __init__(self, data: dict[str, Any] | None = None, /, **fields: Any) -> None:
        _fill_choice(self, merge_fields(data, fields))


class ChatCompletionChunk(WireObject):
    """One streamed chunk (``object: "chat.completion.chunk"``).

    ``choices`` is empty on the ``stream_options.include_usage`` trailer; ``x_groq.usage``
    arrives on the chunk with the ``finish_reason``.
    """

    __slots__ = ("choices",)
    choices: list[Choice]

    id: ScalarField[str] = ScalarField("id")
    object: ScalarField[Literal["chat.completion.chunk"]] = ScalarField("object")
    created: ScalarField[int] = ScalarField("created")
    model: ScalarField[str] = ScalarField("model")
    system_fingerprint: ScalarField[str | None] = ScalarField("system_fingerprint")
    service_tier: ScalarField[str | None] = ScalarField("service_tier")
    x_groq = ObjectField("x_groq", XGroq)
    usage = ObjectField("usage", CompletionUsage)

    def __init__(self, data: dict[str, Any] | None = None, /, **fields: Any) -> None:
        self._data = data = merge_fields(data, fields)
        self.choices = [_fill_choice(_new(Choice), c) for c in data.get("choices") or ()]


# The hot path: every streamed chunk is built here. object.__new__ plus slot stores
# avoids three Python-level __init__ calls per chunk (0.7 µs against 1.3 µs measured).
_new = object.__new__


def _fill_delta(delta: ChoiceDelta, d: dict[str, Any]) -> ChoiceDelta:
    delta._data = d
    delta.content = d.get("content")
    delta.reasoning = d.get("reasoning")
    return delta


def _fill_choice(choice: Choice, c: dict[str, Any]) -> Choice:
    choice._data = c
    choice.delta = _fill_delta(_new(ChoiceDelta), c.get("delta") or {})
    choice.finish_reason = c.get("finish_reason")
    return choice


def chunk_from_json(data: dict[str, Any]) -> ChatCompletionChunk:
    """Build a chunk over freshly decoded JSON (owned by the chunk from now on).

    Same result as ``ChatCompletionChunk(data)``; the choice and delta fills are inlined
    because this runs once per streamed chunk (tests check the two agree).
    """
    chunk: ChatCompletionChunk = _new(ChatCompletionChunk)
    chunk._data = data
    choices: list[Choice] = []
    for c in data.get("choices") or ():
        choice: Choice = _new(Choice)
        choice._data = c
        d = c.get("delta") or {}
        delta: ChoiceDelta = _new(ChoiceDelta)
        delta._data = d
        delta.content = d.get("content")
        delta.reasoning = d.get("reasoning")
        choice.delta = delta
        choice.finish_reason = c.get("finish_reason")
        choices.append(choice)
    chunk.choices = choices
    return chunk


class FunctionCall(WireObject):
    """The deprecated ``function_call`` of a message (replaced by ``tool_calls``)."""

    __slots__ = ()
    name: ScalarField[str] = ScalarField("name")
    arguments: ScalarField[str] = ScalarField("arguments")


class Function(WireObject):
    """A complete function call: name and JSON-encoded arguments."""

    __slots__ = ()
    name: ScalarField[str] = ScalarField("name")
    arguments: ScalarField[str] = ScalarField("arguments")


class ChatCompletionMessageToolCall(WireObject):
    """A complete tool call in a message."""

    __slots__ = ()
    id: ScalarField[str] = ScalarField("id")
    type: ScalarField[Literal["function"]] = ScalarField("type")
    function = RequiredObjectField("function", Function)


class ChatCompletionMessage(WireObject):
    """The assistant message of a non-streamed completion."""

    __slots__ = ()
    role: ScalarField[Role] = ScalarField("role")
    content: ScalarField[str | None] = ScalarField("content")
    reasoning: ScalarField[str | None] = ScalarField("reasoning")
    tool_calls = ListField("tool_calls", ChatCompletionMessageToolCall)
    executed_tools = ListField("executed_tools", ExecutedTool)
    channel: ScalarField[str | None] = ScalarField("channel")
    annotations = ListField("annotations", Annotation)
    function_call = ObjectField("function_call", FunctionCall)


class ChatCompletionChoice(WireObject):
    """One choice of a non-streamed completion."""

    __slots__ = ()
    index: ScalarField[int] = ScalarField("index")
    message = RequiredObjectField("message", ChatCompletionMessage)
    finish_reason: ScalarField[FinishReason | None] = ScalarField("finish_reason")
    logprobs = ObjectField("logprobs", ChoiceLogprobs)


class McpListToolTool(WireObject):
    """One tool an MCP server offers."""

    __slots__ = ()
    name: ScalarField[str | None] = ScalarField("name")
    description: ScalarField[str | None] = ScalarField("description")
    input_schema: ScalarField[dict[str, Any] | None] = ScalarField("input_schema")
    annotations: ScalarField[Any] = ScalarField("annotations")


class McpListTool(WireObject):
    """The tools discovered on one connected MCP server."""

    __slots__ = ()
    id: ScalarField[str | None] = ScalarField("id")
    server_label: ScalarField[str | None] = ScalarField("server_label")
    type: ScalarField[str | None] = ScalarField("type")
    tools = ListField("tools", McpListToolTool)


class ChatCompletion(WireObject):
    """A non-streamed completion (``object: "chat.completion"``)."""

    __slots__ = ()
    id: ScalarField[str] = ScalarField("id")
    object: ScalarField[Literal["chat.completion"]] = ScalarField("object")
    created: ScalarField[int] = ScalarField("created")
    model: ScalarField[str] = ScalarField("model")
    system_fingerprint: ScalarField[str | None] = ScalarField("system_fingerprint")
    service_tier: ScalarField[str | None] = ScalarField("service_tier")
    choices = RequiredListField("choices", ChatCompletionChoice)
    usage = ObjectField("usage", CompletionUsage)
    usage_breakdown = ObjectField("usage_breakdown", UsageBreakdown)
    x_groq = ObjectField("x_groq", XGroq)
    mcp_list_tools = ListField("mcp_list_tools", McpListTool)
