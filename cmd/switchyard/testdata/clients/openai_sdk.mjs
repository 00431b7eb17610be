// openai_sdk.mjs drives switchyard with the official `openai` npm SDK, as an
// application would, and prints one JSON object describing what the SDK
// returned. clients_e2e_test.go runs it and checks the object field by field;
// the upstream fake decides each answer by the marker word that starts the
// user message ("plain:", "stream:", "tools:", "streamtools:", "slow:").
//
// Environment:
//   SWITCHYARD_BASE_URL   switchyard's OpenAI base URL, ending in /v1
//   SWITCHYARD_CLIENTS    the directory .ci/install-clients.sh filled
//
// It never retries (maxRetries: 0): a retry would hide a failure.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(join(process.env.SWITCHYARD_CLIENTS, 'clients', 'package.json'));
const openaiPkg = require('openai');
const OpenAI = openaiPkg.OpenAI ?? openaiPkg.default ?? openaiPkg;
// The package's exports hide its package.json; read it beside the entry point.
const sdkVersion = JSON.parse(readFileSync(join(dirname(require.resolve('openai')), 'package.json'), 'utf8')).version;

const client = new OpenAI({
  baseURL: process.env.SWITCHYARD_BASE_URL,
  apiKey: 'unused-by-switchyard',
  maxRetries: 0,
  timeout: 120_000,
});

// headers keeps the switchyard headers the contract promises on every answer.
function headers(response) {
  const out = {};
  for (const h of ['x-switchyard-route', 'x-switchyard-reason', 'x-switchyard-privacy', 'x-switchyard-estimated-tokens']) {
    out[h] = response.headers.get(h);
  }
  out['content-type'] = response.headers.get('content-type');
  return out;
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
    },
  },
};

async function plain() {
  const { data, response } = await client.chat.completions
    .create({ model: 'auto', messages: [{ role: 'user', content: 'plain: say hello' }] })
    .withResponse();
  return {
    headers: headers(response),
    object: data.object,
    id: data.id,
    model: data.model,
    content: data.choices[0].message.content,
    role: data.choices[0].message.role,
    finish_reason: data.choices[0].finish_reason,
    usage: data.usage,
  };
}

// stream reads a stream with include_usage, keeping what the spec says about
// it: every content chunk has one choice, the final usage chunk has none.
async function stream(marker) {
  const { data, response } = await client.chat.completions
    .create({
      model: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: `${marker}: count to three` }],
    })
    .withResponse();
  let content = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  let usageChunkChoices = null;
  let chunksWithUsageBeforeLast = 0;
  const ids = new Set();
  for await (const chunk of data) {
    chunks++;
    ids.add(chunk.id);
    if (chunk.usage) {
      usage = chunk.usage;
      usageChunkChoices = chunk.choices.length;
    }
    for (const c of chunk.choices) {
      content += c.delta?.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
      if (chunk.usage) chunksWithUsageBeforeLast++;
    }
  }
  return {
    headers: headers(response),
    content,
    chunks,
    distinct_ids: ids.size,
    finish_reason: finish,
    usage,
    usage_chunk_choices: usageChunkChoices,
    usage_on_content_chunks: chunksWithUsageBeforeLast,
  };
}

// tools is a whole tool-call round trip: the model asks for get_weather, the
// application answers with a tool message, the model answers in text.
async function tools() {
  const messages = [{ role: 'user', content: 'tools: weather in Paris?' }];
  const first = await client.chat.completions.create({ model: 'auto', messages, tools: [weatherTool] });
  const msg = first.choices[0].message;
  const call = msg.tool_calls?.[0];
  const out = {
    first_finish_reason: first.choices[0].finish_reason,
    first_content: msg.content,
    tool_calls: (msg.tool_calls ?? []).map((c) => ({ id: c.id, type: c.type, name: c.function.name, arguments: c.function.arguments })),
  };
  if (!call) return out;
  messages.push(msg, { role: 'tool', tool_call_id: call.id, content: '{"city":"Paris","temp_c":21}' });
  const second = await client.chat.completions.create({ model: 'auto', messages, tools: [weatherTool] });
  out.second_finish_reason = second.choices[0].finish_reason;
  out.second_content = second.choices[0].message.content;
  return out;
}

// streamTools streams a tool call and lets the SDK's own accumulator
// (chat.completions.stream → finalChatCompletion) assemble it from deltas.
async function streamTools() {
  const runner = client.chat.completions.stream({
    model: 'auto',
    messages: [{ role: 'user', content: 'streamtools: weather in Oslo?' }],
    tools: [weatherTool],
    stream_options: { include_usage: true },
  });
  const final = await runner.finalChatCompletion();
  const msg = final.choices[0].message;
  return {
    finish_reason: final.choices[0].finish_reason,
    tool_calls: (msg.tool_calls ?? []).map((c) => ({ id: c.id, type: c.type, name: c.function.name, arguments: c.function.arguments })),
    parsed_arguments: msg.tool_calls?.[0] ? JSON.parse(msg.tool_calls[0].function.arguments) : null,
    usage: final.usage ?? null,
  };
}

const result = { sdk_version: sdkVersion, node_version: process.version };
for (const [name, fn] of [
  ['plain', plain],
  ['stream', () => stream('stream')],
  ['tools', tools],
  ['stream_tools', streamTools],
  ['slow_stream', () => stream('slow')],
]) {
  try {
    result[name] = await fn();
  } catch (err) {
    result[name] = { error: `${err?.constructor?.name}: ${err?.message}`, status: err?.status ?? null };
  }
}
process.stdout.write(JSON.stringify(result) + '\n');
