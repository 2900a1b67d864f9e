/**
 * LlmClient over @google/genai: structured output with responseMimeType application/json and a JSON
 * schema derived from zod. GEMINI_BASE_URL points it at any Gemini-protocol server (tests use a fake).
 */
import type { GoogleGenAI } from "@google/genai";
import type { LlmClient } from "../../core/ports.js";
import { createStructuredClient } from "./structured.js";

/** Options of the Gemini client. */
export interface GeminiOptions {
  apiKey: string;
  model: string;
  baseUrl?: string | undefined;
  timeoutMs: number;
  maxRetries?: number;
  backoffBaseMs?: number;
}

/**
 * Creates the Gemini client. The SDK is loaded on the first call (it costs a quarter of a second at
 * start, and most runs never ask the LLM), and opens no connection before it.
 */
export function createGeminiClient(options: GeminiOptions): LlmClient {
  let sdk: Promise<GoogleGenAI> | undefined;
  const client = () =>
    (sdk ??= import("@google/genai").then(
      ({ GoogleGenAI }) =>
        new GoogleGenAI({
          apiKey: options.apiKey,
          httpOptions: {
            ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
            timeout: options.timeoutMs,
          },
        }),
    ));
  return createStructuredClient(
    async (messages, jsonSchema, signal) => {
      const ai = await client();
      const res = await ai.models.generateContent({
        model: options.model,
        contents: messages.turns.map((t) => ({
          role: t.role === "assistant" ? "model" : "user",
          parts: [{ text: t.text }],
        })),
        config: {
          systemInstruction: messages.system,
          responseMimeType: "application/json",
          responseJsonSchema: jsonSchema,
          temperature: 0,
          abortSignal: signal,
        },
      });
      return {
        text: res.text ?? "",
        inputTokens: res.usageMetadata?.promptTokenCount ?? 0,
        outputTokens: res.usageMetadata?.candidatesTokenCount ?? 0,
      };
    },
    {
      provider: "gemini",
      model: options.model,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      backoffBaseMs: options.backoffBaseMs,
    },
  );
}
