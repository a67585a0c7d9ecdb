"""``mirastream.core``: Mirascope v1's names and behaviours, checked at the loopback server.

Every behaviour issue 10 lists, once from a plain prompt function and once from an
``async def`` one (``drv``, from ``test_call``). No Mirascope code is involved; the
migrated Mirascope examples themselves run in ``test_mirascope_examples.py``.
"""

from __future__ import annotations

import base64
import json
from enum import Enum
from typing import Annotated, Any, Literal, cast

import pytest
from pydantic import AfterValidator, BaseModel, Field, ValidationError
from test_call import Driver, anyio_backend, asyncify, drv, srv

import mirastream
from mirastream import StructuredOutputError, ToolCallError, groq_call, llm
from mirastream.core import (
    AudioPart,
    BaseDynamicConfig,
    BaseMessageParam,
    BasePrompt,
    BaseTool,
    BaseToolKit,
    FromCallArgs,
    ImagePart,
    ImageURLPart,
    Messages,
    ResponseModelConfigDict,
    TextPart,
    groq,
    metadata,
    prompt_template,
    toolkit_tool,
)
from mirastream.core.groq import GroqCallResponse, GroqStream
from mirastream.groq import GroqError
from mirastream.prompts._prompts import PromptError
from mirastream.testing import ErrorReply, GroqServer, ToolCall, script

pytestmark = pytest.mark.anyio
__all__ = ["anyio_backend", "drv", "srv"]  # fixtures, imported for pytest
MODEL = "llama-3.3-70b-versatile"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8


async def call(drv: Driver, srv: GroqServer, fn: Any, *args: Any, **settings: Any) -> Any:
    """Decorate ``fn`` (sync or async per ``drv``), call it once, return the result."""
    invoke = drv.call(fn, MODEL, client=drv.client(srv), **settings)
    return await invoke(*args)


def sent(srv: GroqServer, index: int = -1) -> dict[str, Any]:
    body = srv.requests[index].body
    assert isinstance(body, dict)
    return body


# -- names -------------------------------------------------------------------------------


def test_the_facade_names_are_mirastreams_own_objects() -> None:
    import mirastream.core as core
    from mirastream.core import groq as core_groq

    assert core_groq.call is groq_call and core_groq.groq_call is groq_call
    assert core.BaseTool is mirastream.GroqTool and core_groq.GroqTool is mirastream.GroqTool
    assert core_groq.GroqStream is mirastream.GroqStream
    assert core_groq.GroqCallResponse is mirastream.GroqCallResponse
    assert core_groq.GroqCallResponseChunk is mirastream.GroqCallResponseChunk
    assert core.Messages is mirastream.Messages
    assert core.prompt_template is mirastream.prompt_template
    assert core.BaseDynamicConfig is mirastream.DynamicConfig
    assert core.BaseMessageParam is mirastream.BaseMessageParam
    assert core.base.TextPart is TextPart
    assert GroqError is mirastream.MirastreamError
    for name in core.__all__:
        assert getattr(core, name) is not None
    for name in core_groq.__all__:
        assert getattr(core_groq, name) is not None


async def test_groq_error_catches_api_errors(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(ErrorReply(503, "over capacity"))

    def fn() -> str:
        return "hi"

    invoke = drv.call(fn, MODEL, client=drv.client(srv, max_retries=0))
    with pytest.raises(GroqError, match="over capacity"):
        await invoke()


# -- messages ----------------------------------------------------------------------------


async def test_base_message_params_and_content_parts_are_sent_as_groq_parts(
    drv: Driver, srv: GroqServer
) -> None:
    def fn(cover: bytes) -> list[BaseMessageParam]:
        return [
            BaseMessageParam(role="system", content="You are a librarian"),
            BaseMessageParam(
                role="user",
                content=[
                    TextPart(type="text", text="I read this:"),
                    ImagePart(type="image", media_type="image/png", image=cover, detail="low"),
                    ImageURLPart(type="image_url", url="https://x.test/b.jpg", detail=None),
                ],
            ),
        ]

    await call(drv, srv, fn, PNG)
    data = base64.b64encode(PNG).decode()
    assert sent(srv)["messages"] == [
        {"role": "system", "content": "You are a librarian"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "I read this:"},
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/png;base64,{data}", "detail": "low"},
                },
                {"type": "image_url", "image_url": {"url": "https://x.test/b.jpg"}},
            ],
        },
    ]


@pytest.mark.parametrize("kind", ["messages", "base_message_param", "parts"])
async def test_a_prompt_may_return_one_message(drv: Driver, srv: GroqServer, kind: str) -> None:
    def fn(genre: str) -> Messages.Type:
        text = f"Recommend a {genre} book"
        if kind == "messages":
            return Messages.User(text)
        if kind == "base_message_param":
            return BaseMessageParam(role="user", content=text)
        return [text]  # Messages.Type shorthand: the parts of one user message

    response = await call(drv, srv, fn, "fantasy")
    assert isinstance(response, GroqCallResponse)
    content: Any = "Recommend a fantasy book"
    if kind == "parts":
        content = [{"type": "text", "text": content}]
    assert sent(srv)["messages"] == [{"role": "user", "content": content}]


async def test_image_template_parts(drv: Driver, srv: GroqServer) -> None:
    @prompt_template("SYSTEM: Be brief. USER: I read {cover:image} and {more:images}. Next?")
    def fn(cover: bytes, more: list[str]) -> None: ...

    await call(drv, srv, fn, PNG, ["https://x.test/1.png", "https://x.test/2.png"])
    data = base64.b64encode(PNG).decode()
    assert sent(srv)["messages"][1] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "I read"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
            {"type": "text", "text": "and"},
            {"type": "image_url", "image_url": {"url": "https://x.test/1.png"}},
            {"type": "image_url", "image_url": {"url": "https://x.test/2.png"}},
            {"type": "text", "text": ". Next?"},
        ],
    }


@pytest.mark.parametrize(
    ("template", "arg", "what"),
    [
        ("Listen: {x:audio}", b"RIFF", "audio"),
        ("Read: {x:document}", b"%PDF", "documents"),
        ("Look: {x:image}", b"not an image", "not an image"),
    ],
)
async def test_parts_groq_cannot_take_are_refused_before_any_request(
    drv: Driver, srv: GroqServer, template: str, arg: bytes, what: str
) -> None:
    @prompt_template(template)
    def fn(x: bytes) -> None: ...

    with pytest.raises(PromptError, match=what):
        await call(drv, srv, fn, arg)
    assert srv.requests == []


async def test_an_audio_part_in_a_message_is_refused(drv: Driver, srv: GroqServer) -> None:
    def fn() -> Messages.Type:
        return Messages.User([AudioPart(type="audio", media_type="audio/wav", audio=b"RIFF")])

    with pytest.raises(PromptError, match="take no audio"):
        await call(drv, srv, fn)
    assert srv.requests == []


def test_a_template_function_called_directly_gives_base_message_params() -> None:
    @prompt_template("SYSTEM: Be brief. USER: {q}")
    def fn(q: str) -> None: ...

    @prompt_template()
    def shorthand(q: str) -> str:
        return q

    # Typed as the function itself (so groq_call's overloads still see it), it returns
    # the messages when called directly, as Mirascope's does.
    direct: Any = fn
    assert direct("hi") == [
        BaseMessageParam(role="system", content="Be brief."),
        BaseMessageParam(role="user", content="hi"),
    ]
    assert cast("Any", shorthand)("yo") == [BaseMessageParam(role="user", content="yo")]


# -- response models ---------------------------------------------------------------------


class Genre(Enum):
    FANTASY = "fantasy"
    SCIFI = "scifi"


def _upper(value: str) -> str:
    assert value.isupper(), "Must be uppercase"
    return value


@pytest.mark.parametrize(
    ("response_model", "value", "expected", "name"),
    [
        (str, "Dune", "Dune", "str"),
        (int, 1965, 1965, "int"),
        (float, 4.5, 4.5, "float"),
        (bool, True, True, "bool"),
        (list[str], ["Dune", "Emma"], ["Dune", "Emma"], "list"),
        (Literal["yes", "no"], "no", "no", "Literal"),
        (Genre, "scifi", Genre.SCIFI, "Genre"),
        (Annotated[str, AfterValidator(_upper)], "DUNE", "DUNE", "str"),
    ],
)
@pytest.mark.parametrize("json_mode", [False, True])
async def test_response_model_types(
    drv: Driver,
    srv: GroqServer,
    response_model: Any,
    value: Any,
    expected: Any,
    name: str,
    json_mode: bool,
) -> None:
    answer = {"value": value}
    if json_mode:
        srv.enqueue(script(json.dumps(answer)))
    else:
        srv.enqueue(script(tool_calls=[ToolCall(name, answer)]))

    def fn() -> str:
        return "Answer"

    result = await call(drv, srv, fn, response_model=response_model, json_mode=json_mode)
    assert result == expected and type(result) is type(expected)
    body = sent(srv)
    if json_mode:
        schema = json.loads(body["messages"][-1]["content"].split("schema:\n", 1)[1])
    else:
        assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
        schema = body["tools"][0]["function"]["parameters"]
    assert list(schema["properties"]) == ["value"]


async def test_a_streamed_primitive_yields_values(drv: Driver, srv: GroqServer) -> None:
    answer = '{"value": ["Dune", "Emma"]}'
    srv.enqueue(script([answer[i : i + 5] for i in range(0, len(answer), 5)]))

    def fn() -> str:
        return "Books?"

    # A stream's default mode is text: the JSON arrives as content, piece by piece.
    stream = await call(drv, srv, fn, response_model=list[str], stream=True)
    values = [v async for v in stream] if drv.is_async else [v for v in stream]
    assert values[-1] == ["Dune", "Emma"]
    assert all(isinstance(v, list) for v in values)


class Books(BaseModel):
    """Books found in texts."""

    texts: Annotated[list[str], FromCallArgs()]
    titles: list[str]


async def test_from_call_args_fields_are_not_asked_and_come_from_the_call(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(script(tool_calls=[ToolCall("Books", {"titles": ["Dune"]})]))

    @prompt_template("Titles in {texts}")
    def fn(texts: list[str]) -> None: ...

    books = await call(drv, srv, fn, ["Dune by Herbert"], response_model=Books)
    assert books == Books(texts=["Dune by Herbert"], titles=["Dune"])
    parameters = sent(srv)["tools"][0]["function"]["parameters"]
    assert set(parameters["properties"]) == {"titles"}


def test_response_model_config_dict_is_a_pydantic_config() -> None:
    class Strict(BaseModel):
        model_config = ResponseModelConfigDict(strict=True)
        n: int

    with pytest.raises(ValidationError):
        Strict.model_validate({"n": "1"})


class Book(BaseModel):
    """A book."""

    title: Annotated[str, AfterValidator(_upper)]


async def test_a_returned_model_carries_its_response(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script(tool_calls=[ToolCall("Book", {"title": "DUNE"})]))

    def fn() -> str:
        return "Extract"

    book = await call(drv, srv, fn, response_model=Book)
    response = book._response
    assert isinstance(response, GroqCallResponse)
    assert response.cost is not None and response.usage is not None
    assert response.tool_calls[0].function.name == "Book"


async def test_a_failed_validation_is_a_pydantic_validation_error_with_the_response(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(script(tool_calls=[ToolCall("Book", {"title": "Dune"})]))

    def fn() -> str:
        return "Extract"

    with pytest.raises(ValidationError) as info:
        await call(drv, srv, fn, response_model=Book)
    assert isinstance(info.value, StructuredOutputError)
    error: Any = info.value
    assert error.errors()[0]["type"] == "assertion_error" == error.errors[0]["type"]
    assert error.raw == '{"title":"Dune"}'
    assert isinstance(error._response, GroqCallResponse) and error._response.cost is not None


async def test_a_tool_that_fails_validation_is_a_pydantic_validation_error(
    drv: Driver, srv: GroqServer
) -> None:
    class GetAuthor(BaseTool):
        """Author of a title."""

        title: Annotated[str, AfterValidator(_upper)]

    srv.enqueue(script(tool_calls=[ToolCall("GetAuthor", {"title": "Dune"})]))

    def fn() -> str:
        return "Who wrote Dune?"

    response = await call(drv, srv, fn, tools=[GetAuthor])
    with pytest.raises(ValidationError) as info:
        _ = response.tool
    assert isinstance(info.value, ToolCallError) and info.value.tool_name == "GetAuthor"


# -- JSON mode ---------------------------------------------------------------------------

JSON_ONLY = "For your final response, output ONLY a valid JSON dict that adheres to the schema"


async def test_json_mode_puts_mirascopes_instruction_into_the_messages(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(script('{"a": 1}'), script('{"a": 2}'))

    def ask() -> str:
        return "Author of Dune?"

    def last_is_system() -> list[dict[str, Any]]:
        return [Messages.User("Author of Dune?"), Messages.System("Be terse.")]

    await call(drv, srv, ask, json_mode=True)
    body = sent(srv)
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"] == [{"role": "user", "content": f"Author of Dune?\n\n{JSON_ONLY}"}]
    await call(drv, srv, last_is_system, json_mode=True)
    assert sent(srv)["messages"][-1] == {"role": "user", "content": JSON_ONLY}


# -- tools -------------------------------------------------------------------------------


class BookTools(BaseToolKit):
    __namespace__ = "book_tools"
    reading_level: str

    @toolkit_tool
    def suggest_author(self, author: str) -> str:
        """Suggests an author for a {self.reading_level} reader.

        Args:
            author: The author's name.
        """
        return f"Read {author} ({self.reading_level})"


async def test_a_toolkit_makes_tools_described_by_its_state(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script(tool_calls=[ToolCall("book_tools_suggest_author", {"author": "Le Guin"})]))

    @prompt_template("An author for me?")
    def fn(level: str) -> BaseDynamicConfig:
        return {"tools": BookTools(reading_level=level).create_tools()}

    response = await call(drv, srv, fn, "beginner")
    function = sent(srv)["tools"][0]["function"]
    assert function["name"] == "book_tools_suggest_author"
    assert function["description"] == "Suggests an author for a beginner reader."
    assert function["parameters"]["properties"]["author"]["description"] == "The author's name."
    assert response.tool.call() == "Read Le Guin (beginner)"


class GetBookAuthor(BaseTool):
    """Returns the author of a book."""

    title: str = Field(description="The title.")

    def call(self) -> str:
        return "Frank Herbert" if self.title == "Dune" else "Unknown"


async def test_partial_tools_stream_with_deltas(drv: Driver, srv: GroqServer) -> None:
    arguments = {"title": "Dune"}
    srv.enqueue(script(tool_calls=[ToolCall("GetBookAuthor", arguments)], fragment_arguments=4))

    def fn() -> str:
        return "Who wrote Dune?"

    stream = await call(drv, srv, fn, tools=[GetBookAuthor], stream={"partial_tools": True})
    assert isinstance(stream, GroqStream if not drv.is_async else mirastream.AsyncGroqStream)
    consumed = await drv.consume(stream)
    assert consumed.error is None
    tools = [tool for _, tool in consumed.pairs if tool is not None]
    partial, complete = tools[:-1], tools[-1]
    assert "".join(t.delta or "" for t in partial) == json.dumps(arguments, separators=(",", ":"))
    assert all(isinstance(t, GetBookAuthor) for t in tools)
    assert getattr(partial[-1], "title", None) == "Dune"
    assert complete.delta is None and complete.call() == "Frank Herbert"


@pytest.mark.parametrize("stream", [1, "yes", {"partial": True}, {"partial_tools": "yes"}])
def test_a_stream_setting_that_is_not_a_bool_or_config_is_an_error(stream: Any) -> None:
    with pytest.raises(TypeError, match="stream"):
        groq_call(MODEL, stream=stream)


async def test_an_unknown_dynamic_config_key_is_an_error(drv: Driver, srv: GroqServer) -> None:
    @prompt_template("Hi")
    def fn() -> Any:
        return {"call_param": {"seed": 1}}

    with pytest.raises(PromptError, match=r"unknown key\(s\) \['call_param'\]"):
        await call(drv, srv, fn)
    assert srv.requests == []


# -- call context ------------------------------------------------------------------------


async def test_metadata_from_the_decorator_and_the_dynamic_config(
    drv: Driver, srv: GroqServer
) -> None:
    @metadata({"tags": {"v1"}})
    @prompt_template("Hi {name}")
    def fixed(name: str) -> None: ...

    @prompt_template("Hi {name}")
    @metadata({"tags": {"v1"}})
    def dynamic(name: str) -> BaseDynamicConfig:
        return {"metadata": {"tags": {"v2"}}}

    assert (await call(drv, srv, fixed, "Ann")).metadata == {"tags": {"v1"}}
    response = await call(drv, srv, dynamic, "Ann")
    assert response.metadata == {"tags": {"v2"}}
    stream = await call(drv, srv, fixed, "Ann", stream=True)
    assert stream.metadata == {"tags": {"v1"}}
    await drv.consume(stream)
    assert "metadata" not in sent(srv)


async def test_responses_and_streams_know_their_call(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script(tool_calls=[ToolCall("GetBookAuthor", {"title": "Dune"})]))

    @prompt_template("SYSTEM: Librarian. USER: Who wrote {book}?")
    def fn(book: str, shelf: int = 3) -> BaseDynamicConfig:
        return {"call_params": {"seed": 7}}

    stream = await call(drv, srv, fn, "Dune", tools=[GetBookAuthor], stream=True)
    consumed = await drv.consume(stream)
    ((_, tool),) = [(c, t) for c, t in consumed.pairs if t is not None]
    assert tool is not None and tool.tool_call is not None
    assert stream.user_message_param == {"role": "user", "content": "Who wrote Dune?"}
    assert stream.tool_message_params([(tool, tool.call())]) == [
        {
            "role": "tool",
            "content": "Frank Herbert",
            "tool_call_id": tool.tool_call.id,
            "name": "GetBookAuthor",
        }
    ]
    response = stream.construct_call_response()
    assert response.user_message_param == stream.user_message_param
    assert response.prompt_template == "SYSTEM: Librarian. USER: Who wrote {book}?"
    assert response.fn_args == {"book": "Dune", "shelf": 3}
    assert response.dynamic_config == {"call_params": {"seed": 7}}
    assert response.tool_types == [GetBookAuthor]
    dump = response.model_dump()
    assert dump["fn_args"] == {"book": "Dune", "shelf": 3}
    assert dump["response"]["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == (
        "GetBookAuthor"
    )
    assert dump["tool_types"] == ["GetBookAuthor"] and dump["metadata"] == {}
    json.dumps(dump)  # plain data


async def test_computed_field_responses_dump_as_data(drv: Driver, srv: GroqServer) -> None:
    def summarize(text: str) -> str:
        return f"Summarize {text}"

    @prompt_template("Translate {summary}")
    def translate(text: str) -> BaseDynamicConfig:
        return {"computed_fields": {"summary": groq_call(MODEL, client=client)(summarize)(text)}}

    client = (
        drv.client(srv)
        if not drv.is_async
        else mirastream.groq.Groq(api_key="k", base_url=srv.base_url)
    )
    response = await call(drv, srv, translate, "a text")
    assert sent(srv)["messages"] == [
        {"role": "user", "content": "Translate You said: Summarize a text"}
    ]
    summary = response.model_dump()["computed_fields"]["summary"]
    assert summary["messages"] == [{"role": "user", "content": "Summarize a text"}]
    if drv.is_async:
        client.close()


@prompt_template("SYSTEM: Be brief. USER: Recommend a {genre} book")
@metadata({"tags": {"prompt"}})
class BookPrompt(BasePrompt):
    genre: str


async def test_base_prompt(drv: Driver, srv: GroqServer) -> None:
    prompt = BookPrompt(genre="fantasy")
    assert str(prompt) == "SYSTEM: Be brief. USER: Recommend a fantasy book"
    assert prompt.message_params() == [
        BaseMessageParam(role="system", content="Be brief."),
        BaseMessageParam(role="user", content="Recommend a fantasy book"),
    ]
    assert prompt.dump()["metadata"] == {"tags": {"prompt"}}
    decorator = groq.call(MODEL, client=drv.client(srv))
    response = await prompt.run_async(decorator) if drv.is_async else prompt.run(decorator)
    assert response.metadata == {"tags": {"prompt"}}
    assert sent(srv)["messages"][1] == {"role": "user", "content": "Recommend a fantasy book"}


# -- retries and llm ---------------------------------------------------------------------


async def test_collect_errors_reinserts_the_errors(drv: Driver, srv: GroqServer) -> None:
    from tenacity import AsyncRetrying, Retrying, stop_after_attempt

    from mirastream.retries.tenacity import collect_errors

    srv.enqueue(
        script(tool_calls=[ToolCall("str", {"value": "Herbert"})]),
        script(tool_calls=[ToolCall("str", {"value": "HERBERT"})]),
    )

    @prompt_template("{previous} Who wrote Dune?")
    def fn(*, errors: list[ValidationError] | None = None) -> BaseDynamicConfig:
        return {"computed_fields": {"previous": f"Errors: {errors}" if errors else ""}}

    decorated = groq_call(
        MODEL, client=drv.client(srv), response_model=Annotated[str, AfterValidator(_upper)]
    )(asyncify(fn) if drv.is_async else fn)
    settings: dict[str, Any] = {
        "stop": stop_after_attempt(3),
        "after": collect_errors(ValidationError),
    }
    author: Any
    if drv.is_async:
        author = await AsyncRetrying(**settings)(decorated)
    else:
        author = Retrying(**settings)(decorated)
    assert author == "HERBERT"
    second = sent(srv)["messages"][0]["content"]
    assert second.startswith("Errors: [1 validation error for str")


async def test_llm_call_and_override(drv: Driver, srv: GroqServer) -> None:
    @prompt_template("Recommend a {genre} book")
    def fn(genre: str) -> None: ...

    prompt = asyncify(fn) if drv.is_async else fn
    client = drv.client(srv)
    recommend = llm.call(provider="groq", model="llama-3.1-8b-instant", client=client)(prompt)
    other = llm.override(recommend, model=MODEL, call_params={"temperature": 0.5})
    for decorated in (recommend, other):
        result = decorated("fantasy")
        response = await result if drv.is_async else result
        assert isinstance(response, GroqCallResponse)
    first, second = (r.body for r in srv.requests)
    assert first["model"] == "llama-3.1-8b-instant" and "temperature" not in first
    assert second["model"] == MODEL and second["temperature"] == 0.5
    with pytest.raises(ValueError, match="mirastream speaks Groq only"):
        llm.override(recommend, provider="anthropic")
    with pytest.raises(ValueError, match="mirastream speaks Groq only"):
        llm.call(provider="openai", model="gpt-4o-mini")
