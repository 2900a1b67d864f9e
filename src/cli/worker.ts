/**
 * `discmeta worker`: answers bulk jobs from Redis until stopped. Run any number, on any machine that
 * reaches the Redis; a worker killed mid-job loses nothing (its chunk is taken by another).
 */
import { createContainer } from "../container.js";
import { batchConfig, verbosityOf } from "./enrich.js";
import type { CliIo } from "./io.js";

/** Options of `worker`. */
export interface WorkerOptions {
  concurrency?: number;
  quiet?: boolean;
  verbose?: boolean;
  /** Stops the worker (tests); by default SIGTERM and SIGINT do. */
  signal?: AbortSignal;
}

/** Runs a worker until SIGTERM/SIGINT (or `signal`); returns the exit code. */
export async function runWorker(opts: WorkerOptions, io: CliIo): Promise<number> {
  const say = (text: string) => {
    if (verbosityOf(opts) !== "quiet") io.stderr.write(`discmeta: ${text}\n`);
  };
  const env = { ...io.env };
  if (opts.concurrency) env.JOBS_CONCURRENCY = String(opts.concurrency);
  let container: ReturnType<typeof createContainer>;
  try {
    const config = await batchConfig({ ...io, env }, {}, say);
    if (config.jobs.disabledReason) throw new Error(config.jobs.disabledReason);
    container = (io.makeContainer ?? createContainer)(config);
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
  container.setLogger((_level, msg) => say(msg));
  const worker = container.startWorker({ onError: (err) => say(`worker: ${(err as Error).message}`) });
  say(`worker started (concurrency ${container.config.jobs.concurrency}); waiting for jobs`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    if (opts.signal) opts.signal.addEventListener("abort", stop, { once: true });
    else {
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    }
  });
  say("worker stopping: finishing the chunks in hand");
  await worker.close();
  await container.dispose();
  return 0;
}
