"""Fan out: 50 concurrent streamed calls with asyncio.gather, then totals.

Run: ``.venv/bin/python examples/async_fanout.py [N]`` (offline unless GROQ_API_KEY is
set). On Groq, a low rate limit makes some calls wait (429s are retried, honouring
``retry-after``) or fail; failures are counted, not hidden. Pass a smaller N if needed.
"""

from __future__ import annotations

import asyncio
import sys
import time

from _offline import ScriptedModel, groq_or_local

from mirastream import GroqCallResponse, MirastreamError, groq_call

MODULES = sorted(name for name in sys.stdlib_module_names if not name.startswith("_"))


@groq_call("llama-3.1-8b-instant", stream=True)
async def explain(module: str) -> str:
    return f"In one sentence: what is Python's `{module}` module for?"


async def ask(module: str) -> GroqCallResponse:
    stream = await explain(module)
    async for _chunk, _ in stream:
        pass  # a UI would show chunk.content here
    return stream.construct_call_response()


async def main(n: int) -> None:
    modules = MODULES[:n]
    start = time.perf_counter()
    results = await asyncio.gather(*(ask(m) for m in modules), return_exceptions=True)
    elapsed = time.perf_counter() - start

    responses = [r for r in results if isinstance(r, GroqCallResponse)]
    failures = [r for r in results if isinstance(r, MirastreamError)]
    for module, result in list(zip(modules, results, strict=True))[:3]:
        print(f"{module}: {result}")
    print("...")
    print(f"\n{len(responses)} of {len(modules)} streams finished in {elapsed:.2f} s")
    print(f"tokens: {sum(r.input_tokens or 0 for r in responses)} in, ", end="")
    print(f"{sum(r.output_tokens or 0 for r in responses)} out")
    print(f"cost:   ${sum(r.cost or 0.0 for r in responses):.6f}")
    if failures:
        print(f"failed: {len(failures)}, e.g. {failures[0]!r}")
    for other in results:
        if isinstance(other, BaseException) and not isinstance(other, MirastreamError):
            raise other  # a bug, not an API failure


# Offline only: what the local server answers in place of the model.
OFFLINE = ScriptedModel(
    answer=lambda question, outputs: (
        f"(scripted) A one-sentence answer to {question.split('`')[1]!r} would go here."
    )
)

if __name__ == "__main__":
    with groq_or_local(OFFLINE):
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
