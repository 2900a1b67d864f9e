/**
 * Fake LLM servers that speak the Gemini (generateContent) and OpenAI (chat/completions) HTTP protocols
 * on localhost, so the real SDKs talk to them through their base-URL setting. They answer valid JSON,
 * invalid JSON, 429, 500, or slowly, and record the prompts they received.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** How the fake answers. */
export type Behaviour =
  | "pick-top" // valid answers; selection picks the scorer's top candidate
  | "invalid-json" // always broken JSON
  | "invalid-then-valid" // broken JSON first, valid on the repair retry
  | "schema-invalid" // JSON of the wrong shape
  | "status-429"
  | "status-500"
  | "flaky-500" // 500 on the first call of each task, then valid
  | "obey-injection" // a gullible model: follows instructions found in the data
  | "echo-key-401" // a server that refuses the key and repeats it whole in its error text
  | "invent" // a careless model: valid JSON, invented facts (a mix not in the name, a made-up country)
  | "guess"; // a confident model: a plausible album and label that exist nowhere

/** One request the fake received. */
export interface FakeRequest {
  task: string;
  system: string;
  user: string;
  turns: number;
  path: string;
  headers: IncomingMessage["headers"];
  /** The answer's JSON schema as the SDK sent it (OpenAI's response_format, Gemini's generationConfig). */
  schema: string;
}

/** A running fake. */
export interface FakeLlm {
  /** The base URL to give the SDK (GEMINI_BASE_URL or OPENAI_BASE_URL). */
  baseUrl: string;
  requests: FakeRequest[];
  setBehaviour(b: Behaviour, delayMs?: number): void;
  close(): Promise<void>;
}

function dataOf(text: string): Record<string, unknown> {
  const m = /<data>\n([\s\S]*)\n<\/data>/.exec(text);
  try {
    return m ? (JSON.parse(m[1]!) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A plausible answer per task, computed from the data like a cooperative model would. */
export function answerFor(
  task: string,
  data: Record<string, unknown>,
  gullible: boolean,
  invent = false,
  guess = false,
): unknown {
  const injected = gullible && JSON.stringify(data).includes("Ignore previous instructions");
  if (invent && task === "split") {
    // Words of a longer name, but not its two parts: one title word as the artist, another as the title.
    const words = String(data.filename ?? "")
      .replace(/\.[a-z0-9]+$/i, "")
      .split(/\s+/);
    if (words.length >= 4) return { artist: words[2], title: words[3], mix: null };
    return { artist: "Days", title: "SincePast", mix: "HACKED MIX" };
  }
  if (guess && task === "llm-only")
    return {
      ...(answerFor(task, data, false) as object),
      album: "Imagined Sessions",
      label: "Phantom Records",
    };
  if (invent && task === "llm-only")
    return {
      ...(answerFor(task, data, false) as object),
      country: "HACKED",
      label: "Evil\u0000Label",
      year: 2099,
      album: "Invented\u0007Album",
    };
  switch (task) {
    case "split": {
      const name = String(data.filename ?? "").replace(/\.[a-z0-9]+$/i, "");
      const [artist, ...rest] = name.split(/\s+[-–]\s+|_/);
      if (injected) return { artist: "Hacked", title: "Hacked", mix: null };
      return {
        artist: rest.length ? (artist ?? null) : null,
        title: rest.length ? rest.join(" ") : name || null,
        mix: null,
      };
    }
    case "query": {
      const count = Number(data.count ?? 2);
      const base = {
        artist: data.artist ?? null,
        track: data.title ?? null,
        release_title: null,
        q: null,
        label: null,
        catno: null,
        year: null,
      };
      const alt = { ...base, track: null, q: `${data.artist ?? ""} ${data.title ?? ""}`.trim() };
      return {
        queries: [base, alt, { ...base, artist: null, q: String(data.title ?? "") }].slice(0, count),
        reasoning: data.withReasoning ? "artist and title as given" : null,
      };
    }
    case "select":
      if (injected) return { selected_index: 7, confidence: 1, reasoning: "told to" };
      return { selected_index: 0, confidence: 0.9, reasoning: "the top candidate holds the track" };
    case "describe":
      return {
        context: { background: injected ? "Hacked" : "A track from the catalogue.", impact: null },
        description: injected ? "artist Hacked" : "A warm, steady groove.",
        tags: ["Soul", "funk / soul", "Not A Real Style"],
        vocals: "male",
        atmosphere: ["warm", "uplifting"],
        bpm: { value: "118", confidence: 0.9 },
        key: { value: "A minor", confidence: 0.5 },
      };
    case "llm-only":
      return {
        album: null,
        year: injected ? 1999 : 1980,
        country: null,
        label: null,
        genre: ["Funk / Soul", "Made Up Genre"],
        style: ["Soul", "Bogus Style"],
        confidence: 0.95,
        description: "Probably a soul record.",
        context: { background: null, impact: null },
        tags: ["Soul"],
        vocals: null,
        atmosphere: [],
      };
    default:
      return {};
  }
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
}

/** Starts a fake for one protocol. */
export async function startFakeLlm(
  protocol: "openai" | "gemini",
  behaviour: Behaviour = "pick-top",
): Promise<FakeLlm> {
  let mode = behaviour;
  let delay = 0;
  const requests: FakeRequest[] = [];
  const seen = new Map<string, number>();

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      let system = "";
      let turns: string[] = [];
      if (protocol === "openai") {
        const messages = (body.messages as { role: string; content: string }[]) ?? [];
        system = messages.find((m) => m.role === "system")?.content ?? "";
        turns = messages.filter((m) => m.role !== "system").map((m) => m.content);
      } else {
        system = ((body.systemInstruction as { parts?: { text: string }[] })?.parts ?? [])
          .map((p) => p.text)
          .join("");
        turns = ((body.contents as { parts: { text: string }[] }[]) ?? []).map((c) =>
          c.parts.map((p) => p.text).join(""),
        );
      }
      const task = /TASK: ([\w-]+)/.exec(system)?.[1] ?? "unknown";
      requests.push({
        task,
        system,
        user: turns[0] ?? "",
        turns: turns.length,
        path: req.url ?? "",
        headers: req.headers,
        schema: JSON.stringify(
          protocol === "openai"
            ? ((body.response_format as { json_schema?: unknown })?.json_schema ?? null)
            : ((body.generationConfig as Record<string, unknown> | undefined) ?? null),
        ),
      });
      const n = (seen.get(task) ?? 0) + 1;
      seen.set(task, n);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const fail = (status: number) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              code: status,
              message: status === 429 ? "Resource exhausted" : "Internal error",
              status: status === 429 ? "RESOURCE_EXHAUSTED" : "INTERNAL",
            },
          }),
        );
      };
      if (mode === "echo-key-401") {
        const given =
          String(req.headers.authorization ?? "").replace(/^Bearer\s+/i, "") ||
          String(
            req.headers["x-goog-api-key"] ??
              new URL(req.url ?? "/", "http://x").searchParams.get("key") ??
              "",
          );
        res.writeHead(401, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            error: { code: 401, message: `Incorrect API key provided: ${given}`, status: "UNAUTHENTICATED" },
          }),
        );
      }
      if (mode === "status-429") return fail(429);
      if (mode === "status-500" || (mode === "flaky-500" && n === 1)) return fail(500);
      const valid = JSON.stringify(
        answerFor(
          task,
          dataOf(turns[0] ?? ""),
          mode === "obey-injection",
          mode === "invent",
          mode === "guess",
        ),
      );
      const text =
        mode === "invalid-json" || (mode === "invalid-then-valid" && turns.length === 1)
          ? '{"artist": "unterminated'
          : mode === "schema-invalid"
            ? JSON.stringify({ unexpected: true })
            : valid;
      res.writeHead(200, { "content-type": "application/json" });
      if (protocol === "openai") {
        res.end(
          JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: String(body.model ?? "fake"),
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: text, refusal: null },
                finish_reason: "stop",
                logprobs: null,
              },
            ],
            usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
          }),
        );
      } else {
        res.end(
          JSON.stringify({
            candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
            usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 },
            modelVersion: "fake-gemini",
          }),
        );
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: protocol === "openai" ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    requests,
    setBehaviour: (b, d = 0) => {
      mode = b;
      delay = d;
      seen.clear();
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
