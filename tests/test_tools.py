"""Tools: wire schemas for each way of defining a tool, tool calls to tools, tool messages.

This module uses ``from __future__ import annotations`` on purpose: every function
tool below has string annotations that must be resolved against this module.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import inspect
import json
from typing import Annotated, Any, Literal, Optional

import pydantic
import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mirastream import GroqTool as ExportedGroqTool
from mirastream.errors import ToolCallError
from mirastream.groq.types import ChatCompletionMessageToolCall
from mirastream.tools._tool import GroqTool, tool_from
from mirastream.tools._toolkit import Toolkit, tool_message_params, tool_schemas

# --- tool definitions (module level, so their string annotations resolve) ---------------


class Unit(str, enum.Enum):
    """Temperature unit."""

    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Location(BaseModel):
    """A place on Earth."""

    city: str = Field(description="City name")
    country: str | None = None


class GetForecast(GroqTool):
    """Get the weather forecast.

    Covers up to a week.
    """

    location: Location = Field(description="Where")
    days: Optional[int] = Field(default=None, description="How many days")  # noqa: UP045
    tags: list[str] = Field(default=[], description="Tags")
    mode: Literal["fast", "slow"] = "fast"
    unit: Unit = Field(default=Unit.CELSIUS, description="Unit")
    title: str = Field(description="A property that happens to be called title")

    def call(self) -> str:
        return f"{self.location.city}: sunny for {self.days} days"


class Ping(GroqTool):
    def call(self) -> str:
        return "pong"


class Tree(GroqTool):
    """Build a tree."""

    label: str
    children: list[Tree] = Field(default=[])


class Renamed(GroqTool):
    """Has a custom wire name."""

    x: int

    @classmethod
    def _name(cls) -> str:
        return "custom_name"


def google_weather(
    city: str,
    unit: Literal["c", "f"] = "c",
    days: Annotated[int, Field(description="Days ahead (from Field)")] = 1,
) -> NotDefinedAnywhere:  # type: ignore[name-defined]  # noqa: F821  # return type is ignored
    """Get the weather in a city.

    Reads the forecast service.

    Args:
        city: The city, e.g. Paris.
        unit (str, optional): Temperature unit.
        days: Days ahead (from the docstring).

    Returns:
        A summary.
    """
    return f"{city} {unit} {days}"


def numpy_search(query: str, limit: int = 10, *, exact: bool = False) -> list[str]:
    """Search the catalogue.

    Parameters
    ----------
    query : str
        What to look for.
    limit : int, optional
        Maximum number of hits.
    exact : bool
        Match exactly.

    Returns
    -------
    list of str
        The hits.
    """
    return [query] * limit if exact else [query]


def rest_convert(amount: float, currency: str = "EUR", note=None) -> str:  # type: ignore[no-untyped-def]
    """Convert an amount of money.

    :param amount: How much.
    :type amount: float
    :param str currency: Target currency code.
    :param note: Free text, any type.
    :returns: The converted amount.
    """
    return f"{amount} {currency} {note}"


def no_docstring(a: int, b: str = "x") -> str:
    return f"{a}{b}"


def no_params() -> str:
    """Return the current time."""
    return "noon"


async def async_lookup(key: str, times: int = 2) -> str:
    """Look a key up, asynchronously.

    Args:
        key: The key.
        times: Repetitions.
    """
    await asyncio.sleep(0)
    return key * times


def with_defaults(
    name: str,
    count: int = 3,
    ratio: Annotated[float, Field(description="Ratio from Field")] = 0.5,
    level: int = Field(default=7, description="Level from a Field default"),
    label: Annotated[str, Field(min_length=1)] = "a",
) -> str:
    """Exercise defaults and descriptions.

    Args:
        name: The name.
        count: How many.
        ratio: Ratio from the docstring.
        level: Level from the docstring.
        label: A label.
    """
    return f"{name}{count}{ratio}{level}{label}"


def describe(self: Any, text: str) -> str:
    """Describe text (a plain function written like a method).

    Args:
        text: The text.
    """
    return text


def awkward_names(args: int, call: str, json: bool = False, /) -> str:
    """Parameters named like GroqTool/BaseModel attributes, all positional-only.

    Args:
        args: An args parameter.
        call: A call parameter.
        json: A json parameter.
    """
    return f"{args}-{call}-{json}"


def mixed_kinds(a: int, /, b: int, *, c: int = 0) -> tuple[int, int, int]:
    return (a, b, c)


class Calculator:
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def add(self, x: int, y: int = 1) -> int:
        """Add two numbers and the calculator's offset.

        Args:
            x: First number.
            y: Second number.
        """
        return x + y + self.offset

    @classmethod
    def create(cls, offset: int) -> Calculator:
        """Create a calculator.

        Args:
            offset: Added to every sum.
        """
        return cls(offset)


class Book(BaseModel):
    """A book to extract."""

    title: str = Field(description="The title")
    author: str
    pages: int = 0

    @field_validator("title")
    @classmethod
    def strip_title(cls, value: str) -> str:
        return value.strip()


class FrozenAliased(BaseModel):
    model_config = ConfigDict(frozen=True)

    page_count: int = Field(alias="pageCount")


def call(
    name: str | None, arguments: str | None, call_id: str = "call_1"
) -> ChatCompletionMessageToolCall:
    return ChatCompletionMessageToolCall(
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    )


# --- exact schemas ----------------------------------------------------------------------


def test_groq_tool_subclass_schema() -> None:
    assert GetForecast.tool_schema() == {
        "type": "function",
        "function": {
            "name": "GetForecast",
            "description": "Get the weather forecast.\n\nCovers up to a week.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"$ref": "#/$defs/Location", "description": "Where"},
                    "days": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "default": None,
                        "description": "How many days",
                    },
                    "tags": {
                        "default": [],
                        "description": "Tags",
                        "items": {"type": "string"},
                        "type": "array",
                    },
                    "mode": {"default": "fast", "enum": ["fast", "slow"], "type": "string"},
                    "unit": {"$ref": "#/$defs/Unit", "default": "celsius", "description": "Unit"},
                    "title": {
                        "description": "A property that happens to be called title",
                        "type": "string",
                    },
                },
                "required": ["location", "title"],
                "$defs": {
                    "Location": {
                        "description": "A place on Earth.",
                        "properties": {
                            "city": {"description": "City name", "type": "string"},
                            "country": {
                                "anyOf": [{"type": "string"}, {"type": "null"}],
                                "default": None,
                            },
                        },
                        "required": ["city"],
                        "type": "object",
                    },
                    "Unit": {
                        "description": "Temperature unit.",
                        "enum": ["celsius", "fahrenheit"],
                        "type": "string",
                    },
                },
            },
        },
    }


def test_schema_is_wire_ready_json() -> None:
    schema = GetForecast.tool_schema()
    params = schema["function"]["parameters"]
    assert list(params)[:3] == ["type", "properties", "required"]
    # Every $ref resolves inside the parameters object.
    text = json.dumps(params)
    for ref in ("#/$defs/Location", "#/$defs/Unit"):
        assert ref in text
        assert ref.rsplit("/", 1)[1] in params["$defs"]
    assert '"title": {"description"' in text  # the property named title is kept
    assert '"title": "' not in text  # no generated titles anywhere


def test_recursive_tool_schema_has_the_object_at_the_root() -> None:
    node = {
        "description": "Build a tree.",
        "properties": {
            "label": {"type": "string"},
            "children": {"default": [], "items": {"$ref": "#/$defs/Tree"}, "type": "array"},
        },
        "required": ["label"],
        "type": "object",
    }
    assert Tree.tool_schema()["function"] == {
        "name": "Tree",
        "description": "Build a tree.",
        "parameters": {
            "type": "object",
            "properties": node["properties"],
            "required": ["label"],
            "$defs": {"Tree": node},
        },
    }
    tree = Tree.from_tool_call(call("Tree", '{"label": "a", "children": [{"label": "b"}]}'))
    assert tree.children == [Tree(label="b")]


def test_description_is_not_inherited() -> None:
    class Subclass(GetForecast):
        pass

    assert "description" not in Subclass.tool_schema()["function"]
    assert Subclass._description() is None
    assert GroqTool._description() is not None  # the base's own docstring stays its own


def test_zero_field_tool_schema() -> None:
    assert Ping.tool_schema() == {
        "type": "function",
        "function": {"name": "Ping", "parameters": {"type": "object", "properties": {}}},
    }
    assert tool_from(no_params).tool_schema() == {
        "type": "function",
        "function": {
            "name": "no_params",
            "description": "Return the current time.",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def test_custom_name() -> None:
    assert Renamed.tool_schema()["function"]["name"] == "custom_name"
    assert Toolkit([Renamed]).names == ("custom_name",)


def test_google_docstring_function_schema() -> None:
    assert tool_from(google_weather).tool_schema() == {
        "type": "function",
        "function": {
            "name": "google_weather",
            "description": "Get the weather in a city.\n\nReads the forecast service.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"description": "The city, e.g. Paris.", "type": "string"},
                    "unit": {
                        "default": "c",
                        "description": "Temperature unit.",
                        "enum": ["c", "f"],
                        "type": "string",
                    },
                    # Annotated Field description wins over the docstring's.
                    "days": {
                        "default": 1,
                        "description": "Days ahead (from Field)",
                        "type": "integer",
                    },
                },
                "required": ["city"],
            },
        },
    }


def test_numpy_docstring_function_schema() -> None:
    assert tool_from(numpy_search).tool_schema() == {
        "type": "function",
        "function": {
            "name": "numpy_search",
            "description": "Search the catalogue.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"description": "What to look for.", "type": "string"},
                    "limit": {
                        "default": 10,
                        "description": "Maximum number of hits.",
                        "type": "integer",
                    },
                    "exact": {"default": False, "description": "Match exactly.", "type": "boolean"},
                },
                "required": ["query"],
            },
        },
    }


def test_rest_docstring_function_schema() -> None:
    assert tool_from(rest_convert).tool_schema() == {
        "type": "function",
        "function": {
            "name": "rest_convert",
            "description": "Convert an amount of money.",
            "parameters": {
                "type": "object",
                "properties": {
                    "amount": {"description": "How much.", "type": "number"},
                    "currency": {
                        "default": "EUR",
                        "description": "Target currency code.",
                        "type": "string",
                    },
                    # No annotation: Any, which JSON Schema writes as no type at all.
                    "note": {"default": None, "description": "Free text, any type."},
                },
                "required": ["amount"],
            },
        },
    }


def test_function_without_docstring() -> None:
    assert tool_from(no_docstring).tool_schema() == {
        "type": "function",
        "function": {
            "name": "no_docstring",
            "parameters": {
                "type": "object",
                "properties": {
                    "a": {"type": "integer"},
                    "b": {"default": "x", "type": "string"},
                },
                "required": ["a"],
            },
        },
    }


def test_async_function_schema() -> None:
    assert tool_from(async_lookup).tool_schema() == {
        "type": "function",
        "function": {
            "name": "async_lookup",
            "description": "Look a key up, asynchronously.",
            "parameters": {
                "type": "object",
                "properties": {
                    "key": {"description": "The key.", "type": "string"},
                    "times": {"default": 2, "description": "Repetitions.", "type": "integer"},
                },
                "required": ["key"],
            },
        },
    }


ADD_SCHEMA = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers and the calculator's offset.",
        "parameters": {
            "type": "object",
            "properties": {
                "x": {"description": "First number.", "type": "integer"},
                "y": {"default": 1, "description": "Second number.", "type": "integer"},
            },
            "required": ["x"],
        },
    },
}


def test_method_schemas() -> None:
    # Bound method: Python already dropped self; unbound function: self is skipped.
    assert tool_from(Calculator(0).add).tool_schema() == ADD_SCHEMA
    assert tool_from(Calculator.add).tool_schema() == ADD_SCHEMA
    assert tool_from(Calculator.create).tool_schema() == {
        "type": "function",
        "function": {
            "name": "create",
            "description": "Create a calculator.",
            "parameters": {
                "type": "object",
                "properties": {"offset": {"description": "Added to every sum.", "type": "integer"}},
                "required": ["offset"],
            },
        },
    }
    assert tool_from(describe).tool_schema()["function"]["parameters"] == {
        "type": "object",
        "properties": {"text": {"description": "The text.", "type": "string"}},
        "required": ["text"],
    }


def test_base_model_schema() -> None:
    assert tool_from(Book).tool_schema() == {
        "type": "function",
        "function": {
            "name": "Book",
            "description": "A book to extract.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"description": "The title", "type": "string"},
                    "author": {"type": "string"},
                    "pages": {"default": 0, "type": "integer"},
                },
                "required": ["title", "author"],
            },
        },
    }
    # No docstring: no description; aliases are the wire names.
    assert tool_from(FrozenAliased).tool_schema() == {
        "type": "function",
        "function": {
            "name": "FrozenAliased",
            "parameters": {
                "type": "object",
                "properties": {"pageCount": {"type": "integer"}},
                "required": ["pageCount"],
            },
        },
    }


def test_awkward_parameter_names_keep_their_wire_names() -> None:
    assert tool_from(awkward_names).tool_schema()["function"]["parameters"] == {
        "type": "object",
        "properties": {
            "args": {"description": "An args parameter.", "type": "integer"},
            "call": {"description": "A call parameter.", "type": "string"},
            "json": {"default": False, "description": "A json parameter.", "type": "boolean"},
        },
        "required": ["args", "call"],
    }
    tool = tool_from(awkward_names).from_tool_call(
        call("awkward_names", '{"args": 1, "call": "c", "json": true}')
    )
    assert tool.args == {"args": 1, "call": "c", "json": True}
    assert tool.call() == "1-c-True"


def test_tool_schemas_list_and_fresh_copies() -> None:
    schemas = tool_schemas([GetForecast, google_weather, Book])
    assert [s["function"]["name"] for s in schemas] == ["GetForecast", "google_weather", "Book"]
    schemas[0]["function"]["name"] = "mutated"
    schemas[0]["function"]["parameters"]["properties"].clear()
    assert GetForecast.tool_schema()["function"]["name"] == "GetForecast"
    assert GetForecast.tool_schema()["function"]["parameters"]["properties"]


# --- the pydantic FieldInfo regression ----------------------------------------------------


def test_function_defaults_and_descriptions_survive() -> None:
    # Regression: mutating a FieldInfo after creating it makes pydantic 2.x drop the
    # default and the description without a word. Every combination must keep both.
    tool = tool_from(with_defaults)
    assert tool.tool_schema()["function"]["parameters"] == {
        "type": "object",
        "properties": {
            "name": {"description": "The name.", "type": "string"},
            "count": {"default": 3, "description": "How many.", "type": "integer"},
            "ratio": {"default": 0.5, "description": "Ratio from Field", "type": "number"},
            "level": {"default": 7, "description": "Level from a Field default", "type": "integer"},
            "label": {
                "default": "a",
                "description": "A label.",
                "minLength": 1,
                "type": "string",
            },
        },
        "required": ["name"],
    }
    instance = tool.model_validate({"name": "n"})
    assert instance.args == {"name": "n", "count": 3, "ratio": 0.5, "level": 7, "label": "a"}
    assert instance.call() == "n30.57a"
    fields = tool.model_fields
    assert fields["count"].default == 3 and fields["count"].description == "How many."
    assert fields["level"].default == 7 and not fields["level"].is_required()
    with pytest.raises(pydantic.ValidationError):
        tool.model_validate({"name": "n", "label": ""})  # the Annotated constraint is kept


# --- caching, conversions, bad definitions ------------------------------------------------


def test_tool_from_caches_and_passes_groq_tools_through() -> None:
    assert tool_from(GetForecast) is GetForecast
    assert tool_from(google_weather) is tool_from(google_weather)
    assert tool_from(Book) is tool_from(Book)
    calc = Calculator(1)
    assert tool_from(calc.add) is tool_from(calc.add)
    assert issubclass(tool_from(Book), Book)
    assert ExportedGroqTool is GroqTool


def test_return_annotation_is_ignored() -> None:
    # google_weather's return annotation names a type that does not exist.
    assert "google_weather" in Toolkit([google_weather])


def test_unresolvable_parameter_annotation() -> None:
    class Local(BaseModel):
        x: int

    def uses_local(item: Local) -> None:
        """Use a type defined inside a function."""

    with pytest.raises(TypeError, match=r"parameter 'item' of tool function uses_local\(\)"):
        tool_from(uses_local)


def test_real_annotation_objects_without_future_import() -> None:
    namespace: dict[str, Any] = {"Location": Location}
    source = (
        "def find(where: Location, radius: 'int' = 5) -> 'Missing':\n"
        '    """Find things.\n\n    Args:\n        where: The place.\n    """\n'
        "    return (where.city, radius)\n"
    )
    exec(source, namespace)
    tool = tool_from(namespace["find"])
    assert tool.tool_schema()["function"]["parameters"]["properties"] == {
        "where": {"$ref": "#/$defs/Location", "description": "The place."},
        "radius": {"default": 5, "type": "integer"},
    }
    found = tool.from_tool_call(call("find", '{"where": {"city": "Oslo"}}'))
    assert isinstance(found.args["where"], Location)
    assert found.call() == ("Oslo", 5)


def test_star_args_and_kwargs_rejected() -> None:
    def star(*items: int) -> None:
        pass

    def double_star(x: int, **options: str) -> None:
        pass

    with pytest.raises(TypeError, match=r"star\(\) takes \*items"):
        tool_from(star)
    with pytest.raises(TypeError, match=r"double_star\(\) takes \*\*options"):
        tool_from(double_star)


def test_bad_tool_definitions() -> None:
    class NotAModel:
        pass

    class Clashing(BaseModel):
        args: int

    with pytest.raises(TypeError, match="NotAModel"):
        tool_from(NotAModel)
    with pytest.raises(TypeError, match="cannot make a tool"):
        tool_from(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\['args'\]"):
        tool_from(Clashing)
    with pytest.raises(ValueError, match="<lambda>"):
        tool_from(lambda x: x)


def test_groq_tool_private_tool_call_and_args() -> None:
    tool = GetForecast(location=Location(city="Rome"), title="t")
    assert tool.tool_call is None
    assert "tool_call" not in GetForecast.model_fields
    assert "tool_call" not in tool.model_dump()
    assert tool.args == {
        "location": Location(city="Rome"),
        "days": None,
        "tags": [],
        "mode": "fast",
        "unit": Unit.CELSIUS,
        "title": "t",
    }
    with pytest.raises(NotImplementedError, match="Renamed"):
        Renamed(x=1).call()


# --- from_tool_call -------------------------------------------------------------------


@pytest.mark.parametrize("arguments", ["", None, "{}", "null", "  "])
def test_empty_arguments_mean_no_arguments(arguments: str | None) -> None:
    tool = Ping.from_tool_call(call("Ping", arguments))
    assert tool.args == {}
    assert tool.call() == "pong"
    assert tool_from(no_params).from_tool_call(call("no_params", arguments)).call() == "noon"


def test_valid_arguments() -> None:
    tool_call = call("GetForecast", '{"location": {"city": "Lima"}, "days": 3, "title": "x"}')
    tool = GetForecast.from_tool_call(tool_call)
    assert tool.tool_call is tool_call
    assert tool.location == Location(city="Lima")
    assert tool.days == 3
    assert tool.call() == "Lima: sunny for 3 days"


def test_invalid_json_arguments() -> None:
    with pytest.raises(ToolCallError) as info:
        GetForecast.from_tool_call(call("GetForecast", '{"days": 3', "call_9"))
    err = info.value
    assert (err.tool_name, err.tool_call_id, err.arguments) == (
        "GetForecast",
        "call_9",
        '{"days": 3',
    )
    assert isinstance(err.__cause__, ValueError)
    assert "not valid JSON" in str(err)


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [("[1, 2]", "an array"), ('"text"', "a string"), ("3", "a number"), ("true", "a boolean")],
)
def test_non_object_arguments(arguments: str, kind: str) -> None:
    with pytest.raises(ToolCallError, match=f"must be a JSON object, got {kind}") as info:
        Ping.from_tool_call(call("Ping", arguments, "c2"))
    assert (info.value.tool_name, info.value.tool_call_id, info.value.arguments) == (
        "Ping",
        "c2",
        arguments,
    )


def test_validation_failure() -> None:
    arguments = '{"location": {"city": "Lima"}, "days": "many"}'
    with pytest.raises(ToolCallError) as info:
        GetForecast.from_tool_call(call("GetForecast", arguments, "c3"))
    err = info.value
    assert (err.tool_name, err.tool_call_id, err.arguments) == ("GetForecast", "c3", arguments)
    assert isinstance(err.__cause__, pydantic.ValidationError)
    message = str(err)
    assert "failed validation" in message
    assert "days: Input should be a valid integer" in message
    assert "title: Field required" in message


def test_validation_failure_of_function_tool_uses_wire_names() -> None:
    with pytest.raises(ToolCallError, match="json: Input should be a valid boolean") as info:
        tool_from(awkward_names).from_tool_call(
            call("awkward_names", '{"args": 1, "call": "c", "json": "maybe"}')
        )
    assert info.value.tool_name == "awkward_names"


def test_base_model_tool_call_returns_the_model() -> None:
    tool = Toolkit([Book]).tool_for(call("Book", '{"title": "  Dune ", "author": "Herbert"}'))
    assert isinstance(tool, GroqTool)
    result = tool.call()
    assert type(result) is Book
    assert result == Book(title="Dune", author="Herbert")  # validator ran once
    assert tool.args == {"title": "Dune", "author": "Herbert", "pages": 0}

    frozen = tool_from(FrozenAliased).from_tool_call(call("FrozenAliased", '{"pageCount": 4}'))
    assert frozen.tool_call is not None
    assert frozen.call() == FrozenAliased(pageCount=4)


# --- Toolkit -----------------------------------------------------------------------------


def test_toolkit_lookup_and_schemas() -> None:
    toolkit = Toolkit([GetForecast, google_weather, Book])
    assert toolkit.names == ("GetForecast", "google_weather", "Book")
    assert len(toolkit) == 3 and "Book" in toolkit and "Nope" not in toolkit
    assert list(toolkit) == list(toolkit.tools)
    assert toolkit.schemas == tool_schemas([GetForecast, google_weather, Book])
    tool = toolkit.tool_for(call("google_weather", '{"city": "Paris"}'))
    assert type(tool) is tool_from(google_weather)
    assert tool.call() == "Paris c 1"


def test_toolkit_unknown_name() -> None:
    toolkit = Toolkit([GetForecast, google_weather])
    with pytest.raises(ToolCallError) as info:
        toolkit.tool_for(call("launch_rockets", '{"count": 3}', "c4"))
    err = info.value
    assert (err.tool_name, err.tool_call_id, err.arguments) == (
        "launch_rockets",
        "c4",
        '{"count": 3}',
    )
    assert "not offered" in str(err)
    assert "'GetForecast', 'google_weather'" in str(err)

    with pytest.raises(ToolCallError, match=r"offered: none") as empty:
        Toolkit().tool_for(call(None, None))
    assert (empty.value.tool_name, empty.value.arguments) == ("", "")


def test_toolkit_rejects_duplicate_names() -> None:
    class google_weather(GroqTool):  # clashes on purpose
        pass

    with pytest.raises(ValueError, match="two tools are named 'google_weather'"):
        Toolkit([globals()["google_weather"], google_weather])
    with pytest.raises(ValueError, match="two tools are named 'Ping'"):
        tool_schemas([Ping, Ping])


# --- call() ------------------------------------------------------------------------------


def test_sync_function_call() -> None:
    tool = tool_from(numpy_search).from_tool_call(
        call("numpy_search", '{"query": "q", "limit": 2}')
    )
    result = tool.call()
    assert result == ["q"]
    exact = tool_from(numpy_search).model_validate({"query": "q", "limit": 2, "exact": True})
    assert exact.call() == ["q", "q"]


def test_async_function_call() -> None:
    tool = tool_from(async_lookup).from_tool_call(call("async_lookup", '{"key": "ab"}'))
    pending = tool.call()
    assert inspect.iscoroutine(pending)
    assert asyncio.run(pending) == "abab"


def test_method_calls() -> None:
    calc = Calculator(100)
    tool = Toolkit([calc.add]).tool_for(call("add", '{"x": 1, "y": 2}'))
    assert tool.call() == 103
    created = tool_from(Calculator.create).model_validate({"offset": 5}).call()
    assert isinstance(created, Calculator) and created.offset == 5


def test_positional_only_parameters_are_passed_by_position() -> None:
    tool = tool_from(mixed_kinds).from_tool_call(call("mixed_kinds", '{"b": 2, "a": 1, "c": 3}'))
    assert tool.call() == (1, 2, 3)


# --- tool_message_params ---------------------------------------------------------------


class Point(BaseModel):
    x: int
    y: int


class Opaque:
    def __str__(self) -> str:
        return "<opaque>"


def test_tool_message_params_content_forms() -> None:
    tool = Ping.from_tool_call(call("Ping", "{}", "id_1"))
    other = tool_from(google_weather).from_tool_call(
        call("google_weather", '{"city": "X"}', "id_2")
    )
    outputs: list[tuple[GroqTool, Any]] = [
        (tool, "plain text"),
        (other, Point(x=1, y=2)),
        (tool, {"points": [Point(x=0, y=0)], "ok": True}),
        (tool, [1, "two", None]),
        (tool, 3.5),
        (tool, None),
        (tool, datetime.date(2026, 1, 2)),
        (tool, Unit.FAHRENHEIT),
        (tool, Opaque()),
        (tool, "héllo"),
    ]
    messages = tool_message_params(outputs)
    assert [m["content"] for m in messages] == [
        "plain text",
        '{"x":1,"y":2}',
        '{"points":[{"x":0,"y":0}],"ok":true}',
        '[1,"two",null]',
        "3.5",
        "null",
        '"2026-01-02"',
        "fahrenheit",  # a str subclass is text, sent as its plain str value
        '"<opaque>"',
        "héllo",
    ]
    assert messages[0] == {
        "role": "tool",
        "content": "plain text",
        "tool_call_id": "id_1",
        "name": "Ping",
    }
    assert type(messages[7]["content"]) is str
    assert messages[1]["tool_call_id"] == "id_2"
    assert messages[1]["name"] == "google_weather"


def test_tool_message_params_needs_a_tool_call() -> None:
    with pytest.raises(ValueError, match="Ping has no tool_call"):
        tool_message_params([(Ping(), "x")])
    assert tool_message_params([]) == []
