"""What a wire format must say; the relay walks a stream and calls these.

A format turns each happening of a streamed call (a text piece, a tool call starting,
the end with usage ...) into event text. The walk (``_walk``) is the same for every
format; only the words differ. Every method returns the text of zero or more events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from mirastream.errors import APIError, APIStatusError, APIStreamError, MirastreamError

if TYPE_CHECKING:
    from mirastream._stream import AsyncGroqStream, GroqStream

__all__ = ["During", "Format", "default_error_message", "error_status"]

During = Literal["request", "stream"]
"""When an error happened: making the call (no stream yet) or while streaming."""

GENERIC_ERROR = "An error occurred."


def default_error_message(exc: BaseException) -> str:
    """What the page is told about ``exc``: mirastream's own message, else nothing specific.

    Errors mirastream raises describe the call (Groq's own message for API errors, never
    the key). Anything else is a bug in the application, whose text may hold internals:
    it gets a generic message (and is re-raised, so the server logs it).
    """
    if isinstance(exc, APIError):
        return exc.message
    if isinstance(exc, MirastreamError):
        return str(exc)
    return GENERIC_ERROR


def error_status(exc: BaseException) -> int | None:
    """The HTTP status of an API error (Groq's status inside a mid-stream error event)."""
    if isinstance(exc, (APIStatusError, APIStreamError)):
        return exc.status_code
    return None


class Format:
    """The words of one wire format; the base says nothing (every method returns ``""``)."""

    def begin(self) -> str:
        """Before the call is made."""
        return ""

    def opened(self, stream: GroqStream | AsyncGroqStream) -> str:
        """The call succeeded: a stream is open."""
        return ""

    def text(self, delta: str) -> str:
        """A piece of the answer."""
        return ""

    def reasoning(self, delta: str) -> str:
        """A piece of the model's reasoning."""
        return ""

    def tool_input_start(self, call_id: str, name: str) -> str:
        """A tool call begins (its arguments follow in pieces)."""
        return ""

    def tool_input_delta(self, call_id: str, delta: str) -> str:
        """A piece of a tool call's arguments (JSON text)."""
        return ""

    def tool_input(
        self, call_id: str, name: str, arguments: str, value: Any, error: str | None
    ) -> str:
        """A tool call is complete: ``value`` is the parsed arguments, or ``error`` says why not."""
        return ""

    def tool_output(self, call_id: str, output: Any, error: str | None) -> str:
        """A tool the relay ran returned ``output``, or raised (``error``)."""
        return ""

    def attempt(self, number: int, model: str, reason: str) -> str:
        """With ``reask=`` / ``fallback=``: the answer so far failed, attempt ``number`` begins.

        What was sent of the failed attempt is not taken back: the page should set it
        aside (``reason`` says why it failed) and show the new attempt's text instead.
        """
        return ""

    def finish(self, stream: GroqStream | AsyncGroqStream) -> str:
        """The stream ended normally: finish reason, usage and cost are known."""
        return ""

    def error(self, message: str, exc: BaseException, during: During) -> str:
        """The call failed before streaming, or the stream failed; nothing follows."""
        return ""

    def end(self) -> str:
        """The very last bytes, after ``finish`` or ``error``."""
        return ""
