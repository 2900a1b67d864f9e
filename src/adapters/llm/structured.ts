/**
 * What both providers share: the wire JSON schema derived from zod, retries with backoff on 429/5xx,
 * one repair retry when the answer fails validation, then a typed LlmError. Never a half-valid object.
 */
import { z } from "zod";
import { LlmError } from "../../core/errors.js";
import type { LlmCallOptions, LlmClient, LlmTask, LlmUsage } from "../../core/ports.js";
import { buildPrompt, repairPrompt } from "./prompts.js";

/** Keywords strict structured-output modes reject; zod still enforces them locally. */
const UNSUPPORTED = new Set([
  "$schema",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "pattern",
  "format",
  "exclusiveMinimum",
  "exclusiveMaximum",
]);

function strictify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictify);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (!UNSUPPORTED.has(k)) out[k] = strictify(v);
  if (out.type === "object" && out.properties) {
    out.required = Object.keys(out.properties as object);
    out.additionalProperties = false;
  }
  return out;
}

/** The JSON schema sent on the wire: every property required, no extra keys, no range keywords. */
export function wireSchema(schema: z.ZodType): Record<string, unknown> {
  return strictify(z.toJSONSchema(schema, { io: "output" })) as Record<string, unknown>;
}

/** One raw call to a provider: a conversation in, text and token counts out. */
export type RawCall = (
  messages: { system: string; turns: { role: "user" | "assistant"; text: string }[] },
  jsonSchema: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<{ text: string; inputTokens: number; outputTokens: number }>;

/** Options of a structured client. */
export interface StructuredOptions {
  provider: string;
  model: string;
  timeoutMs: number;
  /** Retries on 429 and 5xx (never on another 4xx). Default 1. */
  maxRetries?: number;
  backoffBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Seconds a 429 asks us to wait (Retry-After), when the SDK's error carries the response headers. */
function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { headers?: Headers | Record<string, string> }).headers;
  const raw = headers instanceof Headers ? headers.get("retry-after") : headers?.["retry-after"];
  const secs = raw === undefined || raw === null ? Number.NaN : Number(raw);
  return Number.isFinite(secs) && secs >= 0 ? secs * 1000 : undefined;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { status?: number; code?: number };
  return typeof e.status === "number" ? e.status : typeof e.code === "number" ? e.code : undefined;
}

/** Wraps a provider's raw call into an LlmClient. */
export function createStructuredClient(call: RawCall, options: StructuredOptions): LlmClient {
  const maxRetries = options.maxRetries ?? 1;
  const base = options.backoffBaseMs ?? 400;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function callWithRetry(
    messages: Parameters<RawCall>[0],
    schema: Record<string, unknown>,
    signal: AbortSignal,
    task: LlmTask,
    count: { calls: number; deadline: number },
  ) {
    for (let attempt = 0; ; attempt++) {
      try {
        count.calls++;
        return await call(messages, schema, signal);
      } catch (err) {
        const status = statusOf(err);
        const retryable = status === 429 || (status !== undefined && status >= 500);
        if (signal.aborted)
          throw new LlmError(`llm: ${task} timed out or was aborted`, { cause: err, calls: count.calls });
        // Honour Retry-After; a wait that would outlast the call's own time is no retry at all.
        const wait = retryAfterMs(err) ?? Math.round(Math.random() * base * 2 ** attempt);
        if (!retryable || attempt >= maxRetries || Date.now() + wait >= count.deadline) {
          throw new LlmError(
            `llm: ${task} failed${status ? ` (${status})` : ""}: ${(err as Error).message?.slice(0, 200)}`,
            { cause: err, calls: count.calls, ...(status ? { status } : {}) },
          );
        }
        await sleep(wait);
      }
    }
  }

  return {
    async generate<T>(task: LlmTask, schema: z.ZodType<T>, input: unknown, opts: LlmCallOptions = {}) {
      const t0 = Date.now();
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? options.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      const prompt = buildPrompt(task, input);
      const jsonSchema = wireSchema(schema);
      const turns: { role: "user" | "assistant"; text: string }[] = [{ role: "user", text: prompt.user }];
      let inputTokens = 0;
      let outputTokens = 0;
      const count = { calls: 0, deadline: t0 + (opts.timeoutMs ?? options.timeoutMs) };
      for (let attempt = 1; attempt <= 2; attempt++) {
        const raw = await callWithRetry({ system: prompt.system, turns }, jsonSchema, signal, task, count);
        inputTokens += raw.inputTokens;
        outputTokens += raw.outputTokens;
        let problem: string;
        try {
          const parsed = schema.safeParse(JSON.parse(raw.text));
          if (parsed.success) {
            const usage: LlmUsage = {
              model: options.model,
              inputTokens,
              outputTokens,
              latencyMs: Date.now() - t0,
              attempts: attempt,
              calls: count.calls,
            };
            return { value: parsed.data, usage };
          }
          problem = parsed.error.issues
            .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
            .join("; ");
        } catch {
          problem = "not valid JSON";
        }
        if (attempt === 2)
          throw new LlmError(`llm: ${task} answer failed validation twice: ${problem.slice(0, 200)}`, {
            calls: count.calls,
          });
        turns.push(
          { role: "assistant", text: raw.text },
          { role: "user", text: repairPrompt(raw.text, problem) },
        );
      }
      throw new LlmError(`llm: ${task} gave no answer`);
    },
  };
}
