/**
 * The HTTP API: buildServer(container) returns a Fastify instance that is not listening yet.
 */
import { timingSafeEqual } from "node:crypto";
import multipart from "@fastify/multipart";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Container } from "../container.js";
import { type TrackMetadata, TrackMetadataSchema } from "../core/schema.js";
import { audioEvidence, withEvidence } from "../enricher.js";
import { toHttpError } from "./errors.js";
import { documentBase, polishDocument, METADATA_ROUTE as ROUTE } from "./openapi.js";
import { MetadataRequestSchema, type MultipartInput, parseMultipart, parseRequest } from "./request.js";
import { registerJobRoutes } from "./routes/jobs.js";

/** Options of the server. */
export interface ServerOptions {
  /** A pino logger config or false; secrets in headers are always redacted. */
  logger?: FastifyServerOptions["logger"];
  /** Largest JSON body, bytes. Default 1 MiB. */
  bodyLimit?: number;
}

const ErrorSchema = z.object({ error: z.string(), message: z.string(), field: z.string().optional() });

function keyMatches(given: string, keys: string[]): boolean {
  const g = Buffer.from(given);
  return keys.some((k) => {
    const b = Buffer.from(k);
    return b.length === g.length && timingSafeEqual(b, g);
  });
}

function apiKeyOf(headers: Record<string, unknown>): string | undefined {
  const auth = typeof headers.authorization === "string" ? headers.authorization : "";
  const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
  const header = typeof headers["x-api-key"] === "string" ? headers["x-api-key"] : undefined;
  return bearer ?? header;
}

/** Uploads read at once; more wait their turn, so disk and memory stay bounded. */
const MAX_CONCURRENT_UPLOADS = 4;

/** A small gate: at most `size` tasks run at once, the others wait in order. */
function createGate(size: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= size) await new Promise<void>((r) => waiting.push(r));
      running++;
      try {
        return await task();
      } finally {
        running--;
        waiting.shift()?.();
      }
    },
  };
}

/** Request ids a server makes itself, when the client sent none worth keeping. */
let requestCounter = 0;

/** A request id from the client's X-Request-Id: safe characters only, at most 64; else one of ours. */
export function requestIdOf(header: string | string[] | undefined): string {
  const raw = Array.isArray(header) ? header[0] : header;
  const clean = (raw ?? "").replace(/[^A-Za-z0-9._:-]/g, "").slice(0, 64);
  return clean || `req-${(++requestCounter).toString(36)}`;
}

/** Builds the server over a container. */
export async function buildServer(
  container: Container,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const { config } = container;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // A client's X-Request-Id is kept for tracing, but as a bounded token: at most 64 safe characters,
    // never 8 KB of whatever it sent into every log line.
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers["x-request-id"]),
  }).withTypeProvider<ZodTypeProvider>();
  // Only JSON and multipart: anything else is a 415, not a string to make sense of.
  app.removeContentTypeParser("text/plain");
  // Body validation runs in the handler (JSON and multipart alike); the schema still documents it.
  app.setValidatorCompiler((route) =>
    route.httpPart === "body"
      ? (data: unknown) => ({ value: data })
      : validatorCompiler(route as unknown as Parameters<typeof validatorCompiler>[0]),
  );
  // Every body this server sends is already valid: the pipeline parses each result with TrackMetadataSchema
  // (fresh or read back from the cache) and error bodies are built here. Validating again on the way out
  // cost a quarter of a cache hit's time; the response schemas still document the API in OpenAPI.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  /** API keys, checked after the rate limiter has counted the request. */
  async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    if (config.http.apiKeys.length === 0) return;
    const key = apiKeyOf(request.headers);
    if (!key || !keyMatches(key, config.http.apiKeys)) {
      return reply.status(401).send({
        error: "Unauthorized",
        message: "send an API key as Authorization: Bearer <key> or x-api-key",
      });
    }
  }
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toHttpError(err);
    if (status >= 500) request.log.error({ err }, "request failed");
    else request.log.info({ status, message: body.message }, "request rejected");
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: "Not Found", message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );
  app.addHook("onResponse", async (request, reply) => {
    if (request.routeOptions.url === "/health" || request.routeOptions.url === "/ready")
      app.log.debug({ url: request.routeOptions.url, status: reply.statusCode }, "probe");
    container.metrics.http(
      request.routeOptions.url ?? "unknown",
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    openapi: documentBase(config),
    transform: jsonSchemaTransform,
    transformObject: (doc) => polishDocument("openapiObject" in doc ? doc.openapiObject : doc.swaggerObject),
  });
  // With API keys set, the docs and the metrics need a key too; without, everything is open (bind to a
  // private address, or put a proxy in front, as the README's security section says).
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    uiHooks: {
      onRequest: (req, reply, done) => {
        authenticate(req, reply).then((sent) => (sent ? undefined : done()), done);
      },
    },
  });
  await app.register(multipart, {
    limits: { fileSize: config.http.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024 },
  });
  if (config.http.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: false,
      max: config.http.rateLimitPerMinute,
      timeWindow: "1 minute",
      // A key names the bucket only once verified: made-up keys cannot buy fresh buckets, and failed
      // guesses count against the address (the limiter runs before authentication).
      keyGenerator: (req) => {
        const key = apiKeyOf(req.headers);
        return key && config.http.apiKeys.length > 0 && keyMatches(key, config.http.apiKeys)
          ? `key:${key}`
          : `ip:${req.ip}`;
      },
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        error: "Too Many Requests",
        message: `rate limit of ${ctx.max} requests per minute reached; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      }),
    });
  }

  // An upload larger than the limit is refused on its Content-Length, before a byte of it is read.
  app.addHook("onRequest", async (request, reply) => {
    const length = Number(request.headers["content-length"]);
    if (
      request.headers["content-type"]?.startsWith("multipart/") &&
      length > config.http.maxUploadBytes + 64 * 1024
    )
      return reply.status(413).send({
        error: "Payload Too Large",
        message: `upload of ${length} bytes is over the limit of ${config.http.maxUploadBytes} (HTTP_MAX_UPLOAD_MB)`,
      });
  });
  const uploads = createGate(MAX_CONCURRENT_UPLOADS);
  const warm = createWarmAnswers();

  const limited = { rateLimit: config.http.rateLimitPerMinute > 0 ? {} : false };
  registerJobRoutes(app, container, { authenticate, limited, errorSchema: ErrorSchema });

  // Probes run every few seconds: Fastify's own request lines (info) are muted for them, and one line
  // per probe goes to debug instead.
  app.get("/health", { schema: { hide: true }, logLevel: "warn" }, async () => ({ status: "ok" }));
  app.get("/ready", { schema: { hide: true }, logLevel: "warn" }, async (_req, reply) => {
    const r = await container.ready();
    return reply.status(r.ok ? 200 : 503).send({ status: r.ok ? "ready" : "not ready", checks: r.checks });
  });
  app.get("/metrics", { schema: { hide: true }, preValidation: authenticate }, async (_req, reply) =>
    reply.type(container.metrics.registry.contentType).send(await container.metrics.registry.metrics()),
  );
  app.get("/openapi.json", { schema: { hide: true }, preValidation: authenticate }, async () =>
    app.swagger(),
  );

  app.post(
    ROUTE,
    {
      config: { rateLimit: config.http.rateLimitPerMinute > 0 ? {} : false },
      preValidation: authenticate,
      schema: {
        operationId: "enrichTrack",
        summary: "Enrich one track from its filename and tags, or from the audio file itself",
        description:
          "Finds a track on Discogs from its filename and tags and returns its metadata. Send JSON, or multipart/form-data with the audio file in the field `file` (tags are read server-side).",
        tags: ["metadata"],
        body: MetadataRequestSchema,
        response: {
          200: TrackMetadataSchema,
          400: ErrorSchema,
          401: ErrorSchema,
          413: ErrorSchema,
          415: ErrorSchema,
          429: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { tagWarning, upload, ...input }: MultipartInput = request.isMultipart()
        ? await uploads.run(() => parseMultipart(request, container.tagReader))
        : parseRequest(request.body);
      // The warm path: an answer the cache gave this same request a moment ago goes out as its bytes.
      const warmKey = request.isMultipart() ? null : warmKeyOf(input);
      const warmBytes = warmKey ? warm.get(warmKey) : undefined;
      if (warmBytes !== undefined) {
        container.metrics.observer.cache?.("hit");
        // A string with a JSON type is sent as it is (Fastify does not serialise it again).
        return reply.type("application/json; charset=utf-8").send(warmBytes as unknown as TrackMetadata);
      }
      // A client that hangs up does not cancel the lookup: it runs under the request deadline, may be
      // shared with identical requests, and its answer still fills the cache for the retry. The audio,
      // when asked for, is decoded meanwhile, then deleted.
      let result: TrackMetadata;
      try {
        const [resolved, evidence] = await Promise.all([
          container.resolve(input),
          upload ? uploads.run(() => audioEvidence(container, upload.path)) : undefined,
        ]);
        result = evidence ? withEvidence(container, resolved, evidence) : resolved;
      } finally {
        await upload?.dispose();
      }
      if (tagWarning) result.warnings.unshift(tagWarning);
      request.log.info(
        {
          source: result.source,
          cached: result.cached,
          confidence: result.confidence,
          stages: result.diagnostics.stages,
        },
        "resolved",
      );
      // Only a settled answer read from the cache is kept warm: never a fresh or a degraded one.
      if (warmKey && result.cached && result.degraded === null && result.pending.length === 0) {
        const bytes = JSON.stringify(result);
        warm.set(warmKey, bytes);
        return reply.type("application/json; charset=utf-8").send(bytes as unknown as TrackMetadata);
      }
      return result;
    },
  );
  return app;
}

/** A JSON request's identity: everything an answer depends on. */
function warmKeyOf(input: { filename: string; tags?: unknown; mode?: unknown }): string {
  return JSON.stringify([input.filename, input.tags ?? null, input.mode ?? null]);
}

/**
 * Answers served again from their bytes: a small LRU of the serialised answers the cache gave, each
 * for a few seconds (well within the cache's own lifetime), so a repeated request skips Stage 1, the
 * cache read, validation and serialisation (#24 item 11).
 */
function createWarmAnswers(max = 5_000, ttlMs = 30_000, now: () => number = Date.now) {
  const entries = new Map<string, { bytes: string; expires: number }>();
  return {
    get(key: string): string | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      return e.bytes;
    },
    set(key: string, bytes: string): void {
      entries.delete(key);
      entries.set(key, { bytes, expires: now() + ttlMs });
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
  };
}
