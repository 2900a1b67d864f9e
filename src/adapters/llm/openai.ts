/**
 * LlmClient over the openai SDK: response_format json_schema (strict). OPENAI_BASE_URL serves any
 * OpenAI-compatible server (Ollama, vLLM, llama.cpp server); tests use a fake.
 */
import type OpenAI from "openai";
import type { LlmClient } from "../../core/ports.js";
import { createStructuredClient } from "./structured.js";

/** Options of the OpenAI client. */
export interface OpenAiOptions {
  apiKey?: string | undefined;
  model: string;
  baseUrl?: string | undefined;
  timeoutMs: number;
  maxRetries?: number;
  backoffBaseMs?: number;
}

/** Creates the OpenAI client. Local servers take any key; "none" is sent when there is none. */
export function createOpenAiClient(options: OpenAiOptions): LlmClient {
  // Loaded on the first call, as the Gemini SDK is. Our own retry loop handles 429/5xx, so the SDK's
  // is off: one policy, one count.
  let sdk: Promise<OpenAI> | undefined;
  const load = () =>
    (sdk ??= import("openai").then(
      ({ default: OpenAI }) =>
        new OpenAI({
          apiKey: options.apiKey ?? "none",
          baseURL: options.baseUrl ?? null,
          timeout: options.timeoutMs,
          maxRetries: 0,
        }),
    ));
  return createStructuredClient(
    async (messages, jsonSchema, signal) => {
      const client = await load();
      const res = await client.chat.completions.create(
        {
          model: options.model,
          temperature: 0,
          messages: [
            { role: "system", content: messages.system },
            ...messages.turns.map((t) => ({ role: t.role, content: t.text })),
          ],
          response_format: {
            type: "json_schema",
            json_schema: { name: "answer", schema: jsonSchema, strict: true },
          },
        },
        { signal },
      );
      return {
        text: res.choices[0]?.message?.content ?? "",
        inputTokens: res.usage?.prompt_tokens ?? 0,
        outputTokens: res.usage?.completion_tokens ?? 0,
      };
    },
    {
      provider: "openai",
      model: options.model,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      backoffBaseMs: options.backoffBaseMs,
    },
  );
}
