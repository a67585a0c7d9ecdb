// Read UI message stream bodies as the AI SDK's own client does, print the results.
//
// Usage: AI_SDK_DIR=DIR node read_ui_stream.mjs FILE...  (DIR/node_modules holds `ai`)
// For each file: parse and validate every part (what DefaultChatTransport does with a
// response body), then build the message (readUIMessageStream, what useChat runs).
// Prints one JSON line per file: {"file", "message", "error"}.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.AI_SDK_DIR + "/package.json");
const { readUIMessageStream, uiMessageChunkSchema } = require("ai");
const { parseJsonEventStream } = require("@ai-sdk/provider-utils");

for (const file of process.argv.slice(2)) {
  const body = new Response(readFileSync(file)).body;
  const parts = parseJsonEventStream({ stream: body, schema: uiMessageChunkSchema }).pipeThrough(
    new TransformStream({
      transform(result, controller) {
        if (!result.success) throw result.error; // a part the strict schema rejects
        controller.enqueue(result.value);
      },
    }),
  );
  let message = null;
  let error = null;
  try {
    for await (const state of readUIMessageStream({ stream: parts, terminateOnError: true })) {
      message = state;
    }
  } catch (e) {
    error = String(e.message);
  }
  console.log(JSON.stringify({ file, message, error }));
}
