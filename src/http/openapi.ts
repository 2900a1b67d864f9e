/**
 * The OpenAPI document's parts that the route schemas cannot say: servers, the security actually
 * applied, the multipart body of the single endpoint, a real request and answer as examples, and a
 * description for every response. `polishDocument` runs over what @fastify/swagger generated.
 */
import type { AppConfig } from "../config.js";
import { MODES } from "../core/types.js";
import { VERSION } from "../version.js";

/** The single-track route. */
export const METADATA_ROUTE = "/api/v1/audio/metadata/ai";

/** The README's request: T-Fire's track with its tags, fast mode. */
export const EXAMPLE_REQUEST = {
  filename: "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus",
  id3_tags: { artist: "T-Fire", title: "Say A Prayer" },
  mode: "fast",
} as const;

/**
 * The answer to EXAMPLE_REQUEST, as the service gave it against the Discogs API simulator with the
 * T-Fire fixture (test/http/openapi.test.ts checks that it still does; only `ms` may differ).
 */
export const EXAMPLE_ANSWER = {
  artist: "T-Fire",
  title: "Say A Prayer",
  mix: null,
  featuring: [],
  album: "Say A Prayer",
  year: 1979,
  originalYear: 1979,
  country: "Nigeria",
  label: "Fixture Sound Nigeria",
  catalogNumber: "FSN 001",
  trackPosition: "A1",
  genre: ["Funk / Soul"],
  style: ["Soul", "Afrobeat"],
  audioFeatures: { bpm: null, key: null, vocals: null, atmosphere: [], estimated: false },
  context: { background: null, impact: null },
  description: null,
  tags: [],
  source: "discogs",
  confidence: 0.99,
  cached: false,
  discogs: {
    releaseId: 990000001,
    masterId: 990000100,
    url: "https://www.discogs.com/release/990000001",
  },
  match: {
    distance: 0,
    recommendation: "strong",
    margin: null,
    penalties: { artist: 0, title: 0, mix: 0, year: 0, country: 0, kind: 0, original: 0, unverified: 0 },
    selectedBy: "scorer",
  },
  release: {
    format: "Vinyl, LP, Album",
    albumArtist: "T-Fire",
    trackTitle: "Say A Prayer",
    trackNumber: 1,
    trackTotal: 3,
    discNumber: 1,
    discTotal: 1,
    discTitle: null,
    credits: [],
    tracklist: ["A1 Say A Prayer", "A2 Lonely Road", "B1 Fire Dance"],
    coverUrl: null,
  },
  candidates: [],
  albumMatch: null,
  degraded: null,
  pending: [],
  guessed: [],
  warnings: [],
  diagnostics: {
    mode: "fast",
    extraction: { source: "tags", confidence: 0.95, pattern: "tags" },
    stages: [{ stage: "discogs", outcome: "hit", code: null, reason: null, ms: 93 }],
    discogsRequests: 2,
    indexLookups: 0,
    catalog: "api",
    llmCalls: 0,
    llmTasks: [],
  },
};

/** What each status means, for responses the route schemas leave undescribed. */
const RESPONSES: Record<string, string> = {
  "200": "The answer",
  "202": "Accepted: the job is queued",
  "400": "Bad input; `message` names the field and what is wrong with it",
  "401": "No API key, or not one of API_KEYS",
  "404": "No such job, or it expired",
  "413": "The body or upload is over its limit (HTTP_MAX_UPLOAD_MB for uploads)",
  "415": "Neither application/json nor multipart/form-data",
  "429": "Over this service's rate limit (HTTP_RATE_LIMIT_PER_MINUTE); `message` says when to retry",
  "503": "Jobs need Redis (REDIS_URL) and none is configured",
};

/** The multipart body of the single endpoint: the audio file, tags read server-side. */
const MULTIPART_BODY = {
  schema: {
    type: "object",
    required: ["file"],
    properties: {
      file: {
        type: "string",
        format: "binary",
        description:
          "The audio file (at most HTTP_MAX_UPLOAD_MB). Its tags are read on the server, then the file is deleted.",
      },
      filename: {
        type: "string",
        maxLength: 1024,
        description: "The name to parse, when it differs from the uploaded file's name",
      },
      mode: { type: "string", enum: [...MODES] },
      id3_tags: {
        type: "string",
        description: "Tags as a JSON object (same keys as the JSON body); they win over the file's own",
      },
      analyze: {
        type: "string",
        enum: ["true", "false", "1", "0"],
        description:
          "Measure BPM and key from the uploaded audio (audioFeatures, `source: audio`); the LLM is then not asked for them",
      },
    },
  },
  encoding: { file: { contentType: "audio/*, application/octet-stream" } },
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Swagger's `openapi` option: info, servers, tags and the security schemes this service applies. */
export function documentBase(config: AppConfig): Json {
  const keyed = config.http.apiKeys.length > 0;
  return {
    openapi: "3.1.0",
    info: {
      title: "discmeta",
      summary: "Music metadata from Discogs, found from a file's name and tags",
      description:
        "Finds an audio file's track on Discogs from its filename and tags and returns clean, consistent metadata. Deterministic matching does the work; an LLM helps only where rules fall short, and facts always come from Discogs.",
      version: VERSION,
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "The service that serves this document" }],
    tags: [
      { name: "metadata", description: "Enrich one track, or a batch matched as albums" },
      { name: "jobs", description: "Bulk jobs answered by workers (needs Redis)" },
    ],
    // The schemes exist only when API_KEYS is set, and then every route needs one of them.
    ...(keyed
      ? {
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer <key>" },
              apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
            },
          },
          security: [{ bearer: [] }, { apiKey: [] }],
        }
      : { security: [] }),
  };
}

/** Adds what the route schemas cannot say to the generated document; returns it. */
export function polishDocument<T extends Json>(doc: T): T {
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const op of Object.values(item)) {
      if (!isObject(op) || !isObject(op.responses)) continue;
      for (const [status, res] of Object.entries(op.responses)) {
        if (isObject(res) && (!res.description || res.description === "Default Response"))
          res.description = RESPONSES[status] ?? `HTTP ${status}`;
      }
    }
  }
  const single = isObject(paths[METADATA_ROUTE]) ? paths[METADATA_ROUTE].post : undefined;
  if (isObject(single)) {
    const body = isObject(single.requestBody) ? single.requestBody : {};
    const content = isObject(body.content) ? body.content : {};
    const json = isObject(content["application/json"]) ? content["application/json"] : {};
    json.examples = { tFire: { summary: "A track with its tags", value: EXAMPLE_REQUEST } };
    single.requestBody = {
      ...body,
      required: true,
      content: { ...content, "application/json": json, "multipart/form-data": MULTIPART_BODY },
    };
    const ok = isObject(single.responses) ? single.responses["200"] : undefined;
    const okJson = isObject(ok) && isObject(ok.content) ? ok.content["application/json"] : undefined;
    if (isObject(okJson)) okJson.examples = { tFire: { summary: "A Discogs match", value: EXAMPLE_ANSWER } };
  }
  return doc;
}
