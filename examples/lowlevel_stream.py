"""The groq SDK's streaming code, unchanged but for the import.

Run: ``.venv/bin/python examples/lowlevel_stream.py`` (offline unless GROQ_API_KEY is set).
"""

from __future__ import annotations

from _offline import ScriptedModel, groq_or_local

from mirastream.groq import Groq  # was: from groq import Groq


def main() -> None:
    client = Groq()  # reads GROQ_API_KEY (and GROQ_BASE_URL, if set)
    usage = None
    with client.chat.completions.create(
        messages=[{"role": "user", "content": "Tell me a joke"}],
        model="llama-3.3-70b-versatile",
        stream=True,
    ) as stream:
        for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="", flush=True)
            if chunk.x_groq is not None and chunk.x_groq.usage is not None:
                usage = chunk.x_groq.usage  # Groq puts usage on the final chunk
    print(f"\n\nrequest id: {stream.response.headers.get('x-request-id')}")
    if usage is not None:
        print(f"tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion")
        print(
            f"Groq's timings (s): queue {usage.queue_time}, prompt {usage.prompt_time}, "
            f"completion {usage.completion_time}, total {usage.total_time}"
        )


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(answer="Why do programmers prefer dark mode? Because light attracts bugs.")

if __name__ == "__main__":
    with groq_or_local(OFFLINE):
        main()
