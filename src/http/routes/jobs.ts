/**
 * Batches and bulk jobs. POST /api/v1/audio/metadata/ai/batch answers up to 500 items at once, albums
 * matched together. POST /api/v1/jobs answers 202 with an id; GET /api/v1/jobs/{id} answers the state, the
 * counts and a page of results in item order. Without Redis, 503 says how to enable them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Container } from "../../container.js";
import { TrackMetadataSchema } from "../../core/schema.js";
import { MODES, type RawTags } from "../../core/types.js";
import { Id3TagsSchema, parseBody } from "../request.js";

/** The largest job one request may submit. */
export const MAX_JOB_ITEMS = 10_000;

/** One item of a batch or a job: the single endpoint's body, plus the path that groups albums. */
export const BatchItemSchema = z.object({
  filename: z.string().min(1).max(1024),
  id3_tags: Id3TagsSchema.optional(),
  path: z.string().min(1).max(4096).optional(),
});

const JobRequestSchema = z.object({
  items: z.array(BatchItemSchema).min(1).max(MAX_JOB_ITEMS),
  mode: z.enum(MODES).optional(),
});

const JobStatusSchema = z.object({
  id: z.string(),
  state: z.enum(["waiting", "active", "completed"]),
  mode: z.enum(MODES).nullable(),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  offset: z.number().int(),
  results: z.array(z.union([TrackMetadataSchema, z.object({ error: z.string() }), z.null()])),
});

/** The largest batch one request may send to the batch endpoint. */
export const MAX_BATCH_ITEMS = 500;

const BatchRequestSchema = z.object({
  items: z.array(BatchItemSchema).min(1).max(MAX_BATCH_ITEMS),
  mode: z.enum(MODES).optional(),
});

/** Registers the batch and job routes. */
export function registerJobRoutes(
  app: FastifyInstance,
  container: Container,
  opts: {
    authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
    limited: { rateLimit: false | object };
    errorSchema: z.ZodType;
  },
): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const unavailable = (reply: FastifyReply) =>
    reply.status(503).send({
      error: "Service Unavailable",
      message: container.config.jobs.disabledReason ?? "jobs are unavailable",
    });
  const e = opts.errorSchema;
  typed.post(
    "/api/v1/audio/metadata/ai/batch",
    {
      config: opts.limited,
      preValidation: opts.authenticate,
      schema: {
        operationId: "enrichBatch",
        summary: "Enrich up to 500 tracks at once, as albums where they form albums",
        description:
          "Each item is the single endpoint's JSON body plus an optional `path` (\"Artist - Album (1999)/01 - Title.flac\"). Items sharing a folder or album tags are matched as one album (one lookup, files assigned to tracklist rows together); the rest one by one. Answers `{results}` in item order, each in the single endpoint's schema.",
        tags: ["metadata"],
        body: BatchRequestSchema,
        response: {
          200: z.object({ results: z.array(TrackMetadataSchema) }),
          400: e,
          401: e,
          413: e,
          429: e,
        },
      },
    },
    async (request) => {
      const body = parseBody(BatchRequestSchema, request.body);
      const results = await container.resolveBatch(
        body.items.map((i) => ({
          filename: i.filename,
          tags: i.id3_tags as RawTags | undefined,
          path: i.path,
        })),
        { mode: body.mode },
      );
      return { results };
    },
  );
  typed.post(
    "/api/v1/jobs",
    {
      config: opts.limited,
      preValidation: opts.authenticate,
      schema: {
        operationId: "submitJob",
        summary: "Submit a bulk job",
        description:
          "Queues up to 10,000 items for the workers (`discmeta worker`). Answers 202 with the job id at once; results are read from GET /api/v1/jobs/{id}. Needs Redis.",
        tags: ["jobs"],
        body: JobRequestSchema,
        response: {
          202: z.object({ id: z.string(), total: z.number().int() }),
          400: e,
          401: e,
          429: e,
          503: e,
        },
      },
    },
    async (request, reply) => {
      if (!container.jobs) return unavailable(reply);
      const body = parseBody(JobRequestSchema, request.body);
      const id = await container.jobs.submit(
        body.items.map((i) => ({
          filename: i.filename,
          tags: i.id3_tags as RawTags | undefined,
          path: i.path,
        })),
        body.mode,
      );
      return reply.status(202).send({ id, total: body.items.length });
    },
  );
  typed.get(
    "/api/v1/jobs/:id",
    {
      config: opts.limited,
      preValidation: opts.authenticate,
      schema: {
        operationId: "getJob",
        summary: "A job's progress and results",
        description:
          "The state, counts, and a page of results in item order (null while an item is pending, {error} if it failed). Page with offset and limit (at most 500).",
        tags: ["jobs"],
        params: z.object({ id: z.string().max(64) }),
        querystring: z.object({
          offset: z.coerce.number().int().min(0).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
        response: { 200: JobStatusSchema, 400: e, 401: e, 404: e, 429: e, 503: e },
      },
    },
    async (request, reply) => {
      if (!container.jobs) return unavailable(reply);
      const status = await container.jobs.status(request.params.id, request.query);
      if (!status)
        return reply
          .status(404)
          .send({ error: "Not Found", message: `no job ${request.params.id} (or it expired)` });
      return status;
    },
  );
}
