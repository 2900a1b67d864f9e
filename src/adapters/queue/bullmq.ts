/**
 * Bulk jobs on BullMQ over Redis. A job is split into chunks (an album, or single tracks); each chunk is
 * one BullMQ job that any worker may take. Answers go, per item, into a Redis hash with HSETNX: a chunk
 * that is retried (its worker was killed, its lock expired) skips the items already answered, and no
 * item is ever answered twice. Job data and results expire after a TTL.
 */
import { createRequire } from "node:module";
import type { Queue, Worker } from "bullmq";
import type { Redis, RedisOptions } from "ioredis";
import { UpstreamError } from "../../core/errors.js";
import type { JobChunk, JobItem, JobQueue, JobResult, JobStatus } from "../../core/ports.js";
import type { Mode } from "../../core/types.js";

const require = createRequire(import.meta.url);
/** BullMQ and ioredis are loaded when jobs are first used: a service without Redis never pays for them. */
const bullmq = () => require("bullmq") as typeof import("bullmq");
const newRedis = (url: string, options: RedisOptions): Redis => {
  const { Redis: Client } = require("ioredis") as typeof import("ioredis");
  const client = new Client(url, options);
  // Failures surface through the commands (jobs answer 503); no stack trace per reconnect attempt.
  client.on("error", () => undefined);
  return client;
};

/** Options shared by the queue and the worker. */
export interface BullJobsOptions {
  redisUrl: string;
  /** Key prefix of BullMQ and of our result hashes. Default "discmeta". */
  prefix?: string;
  /** How long a job's results are kept, seconds. Default 24 h. */
  resultTtlSeconds?: number;
}

const QUEUE = "jobs";
/** Answers one item atomically, once: HSETNX, then count it as done or failed. */
const ANSWER_ONCE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0`;

function keys(prefix: string, id: string) {
  return { meta: `${prefix}:job:${id}:meta`, results: `${prefix}:job:${id}:results` };
}

function connection(url: string): Redis {
  // BullMQ's blocking commands need maxRetriesPerRequest: null.
  return newRedis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Closes a connection politely (pending replies first); a connection already gone is fine. */
async function quietly(r: Redis | undefined): Promise<void> {
  if (!r || r.status === "end") return;
  await r.quit().catch(() => r.disconnect());
}

const fault = (what: string, err: unknown) =>
  new UpstreamError(`jobs: ${what} failed: ${(err as Error).message ?? String(err)}`, { cause: err });

/**
 * The producer side: submits jobs and reads their status. `plan` splits a job's items into chunks (album
 * clusters, or one item each).
 */
export function createBullJobQueue(
  options: BullJobsOptions & { plan: (items: JobItem[]) => number[][] },
): JobQueue {
  const prefix = options.prefix ?? "discmeta";
  const ttl = options.resultTtlSeconds ?? 24 * 3600;
  let redis: Redis | undefined;
  let queue: Queue | undefined;
  let queueConnection: Redis | undefined;
  // Reading a job's status needs only a plain connection; the BullMQ queue is made on first submit.
  const openRedis = () => {
    redis ??= newRedis(options.redisUrl, { maxRetriesPerRequest: 1 });
    return redis;
  };
  const open = () => {
    queueConnection ??= connection(options.redisUrl);
    queue ??= new (bullmq().Queue)(QUEUE, { connection: queueConnection, prefix });
    return { redis: openRedis(), queue };
  };
  return {
    async submit(items, mode) {
      const { redis: r, queue: q } = open();
      const id = crypto.randomUUID();
      const k = keys(prefix, id);
      try {
        await r
          .multi()
          .hset(k.meta, { total: items.length, done: 0, failed: 0, mode: mode ?? "", created: Date.now() })
          .expire(k.meta, ttl)
          .exec();
        const chunks = options.plan(items);
        await q.addBulk(
          chunks.map((indexes, n) => ({
            name: "chunk",
            data: {
              jobId: id,
              mode: mode ?? null,
              items: indexes.map((index) => {
                const item = items[index]!;
                return { index, input: { filename: item.filename, tags: item.tags, path: item.path } };
              }),
            } satisfies JobChunk,
            opts: {
              jobId: `${id}-${n}`,
              attempts: 3,
              backoff: { type: "exponential", delay: 1000 },
              removeOnComplete: true,
              removeOnFail: { age: ttl },
            },
          })),
        );
      } catch (err) {
        throw fault("submit", err);
      }
      return id;
    },
    async status(id, page = {}) {
      const r = openRedis();
      const k = keys(prefix, id);
      try {
        const meta = await r.hgetall(k.meta);
        if (!meta.total) return null;
        const total = Number(meta.total);
        const offset = Math.max(0, Math.min(total, page.offset ?? 0));
        const limit = Math.max(1, Math.min(500, page.limit ?? 100));
        const fields = Array.from({ length: Math.min(limit, total - offset) }, (_, i) => String(offset + i));
        const raw = fields.length > 0 ? await r.hmget(k.results, ...fields) : [];
        const results: JobResult[] = raw.map((v) => (v === null ? null : (JSON.parse(v) as JobResult)));
        const done = Number(meta.done);
        const failed = Number(meta.failed);
        const state: JobStatus["state"] =
          done + failed >= total ? "completed" : done + failed > 0 ? "active" : "waiting";
        return { id, state, mode: (meta.mode || null) as Mode | null, total, done, failed, offset, results };
      } catch (err) {
        throw fault("status", err);
      }
    },
    async dispose() {
      // A queue still starting has commands in flight: let them settle before closing its connection.
      await queue?.waitUntilReady().catch(() => undefined);
      await queue?.close();
      // BullMQ leaves a connection it was given open: ours to close.
      await quietly(queueConnection);
      await quietly(redis);
    },
  };
}

/** A running worker. */
export interface JobWorker {
  close(): Promise<void>;
}

/**
 * The consumer side: takes chunks and answers their items through `handle`, which calls `answer` for
 * each item (an item already answered by an earlier attempt is not handed over again).
 */
export function startBullWorker(
  options: BullJobsOptions & {
    concurrency?: number;
    /** How long a worker holds a chunk before another may take it, ms. Default 30 000. */
    lockMs?: number;
    handle: (chunk: JobChunk, answer: (index: number, result: JobResult) => Promise<void>) => Promise<void>;
    onError?: (err: unknown) => void;
  },
): JobWorker {
  const prefix = options.prefix ?? "discmeta";
  const ttl = options.resultTtlSeconds ?? 24 * 3600;
  const redis = newRedis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const lockMs = options.lockMs ?? 30_000;
  const workerConnection = connection(options.redisUrl);
  const { Worker: BullWorker } = bullmq();
  const worker: Worker<JobChunk> = new BullWorker<JobChunk>(
    QUEUE,
    async (job) => {
      const chunk = job.data;
      const k = keys(prefix, chunk.jobId);
      const answered = await redis.hmget(k.results, ...chunk.items.map((i) => String(i.index)));
      const left = chunk.items.filter((_, n) => answered[n] === null);
      if (left.length === 0) return;
      await options.handle({ ...chunk, items: left }, async (index, result) => {
        const field = result && "error" in result ? "failed" : "done";
        await redis.eval(
          ANSWER_ONCE,
          2,
          k.results,
          k.meta,
          String(index),
          JSON.stringify(result),
          field,
          ttl,
        );
      });
    },
    {
      connection: workerConnection,
      prefix,
      concurrency: options.concurrency ?? 2,
      lockDuration: lockMs,
      stalledInterval: Math.max(500, Math.round(lockMs / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on("error", (err) => options.onError?.(err));
  return {
    async close() {
      await worker.close();
      await quietly(workerConnection);
      await quietly(redis);
    },
  };
}
