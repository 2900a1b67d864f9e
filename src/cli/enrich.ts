/**
 * `discmeta enrich <file-or-folder>...`: reads tags, resolves each track, prints one JSON object per line
 * in input order. Folders are matched as albums (one lookup per album) unless --singles. Batch work
 * waits for the Discogs budget rather than dropping a track to a deadline.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type AppConfig, loadConfig } from "../config.js";
import { type Container, createContainer, withDefaultCatalogue } from "../container.js";
import { pool } from "../core/pool.js";
import type { TrackMetadata } from "../core/schema.js";
import type { Mode, RawTags, TrackInput } from "../core/types.js";
import { unreadableTags } from "../core/warnings.js";
import { readFileTags } from "../enricher.js";
import { type AudioFile, collectAudioFiles } from "./files.js";
import { type CliIo, createReporter, type Reporter, type Verbosity } from "./io.js";

/** The options `enrich` takes (commander's parse). */
export interface EnrichCliOptions {
  pretty?: boolean;
  mode?: Mode;
  discogs?: boolean;
  llm?: boolean;
  singles?: boolean;
  concurrency?: number;
  timeout?: number;
  verbose?: boolean;
  quiet?: boolean;
}

/** -q wins over -v. */
export function verbosityOf(opts: { verbose?: boolean; quiet?: boolean }): Verbosity {
  return opts.quiet ? "quiet" : opts.verbose ? "verbose" : "normal";
}

/**
 * The configuration a batch command runs with: the user's environment, then the command's flags, then
 * the batch defaults (no per-track deadline, the persistent SQLite cache, and the bundled sample index
 * when neither a token nor an index is configured). Notes go to `note`.
 */
export async function batchConfig(
  io: CliIo,
  opts: EnrichCliOptions,
  note: (text: string) => void,
): Promise<AppConfig> {
  const env = { ...io.env };
  if (opts.discogs === false) env.METADATA_USE_DISCOGS = "false";
  if (opts.llm === false) {
    // No LLM at all, in every mode: no provider is configured.
    for (const k of ["GEMINI_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"]) delete env[k];
    env.METADATA_USE_LLM_FALLBACK = "false";
    env.METADATA_MODE = opts.mode ?? "fast";
  }
  if (opts.mode) env.METADATA_MODE = opts.mode;
  env.METADATA_TIMEOUT_MS = opts.timeout !== undefined ? String(opts.timeout) : "0";
  if (!env.METADATA_CACHE_DRIVER && !env.REDIS_URL && !env.REDIS_HOST) env.METADATA_CACHE_DRIVER = "sqlite";
  const first = await withDefaultCatalogue(env, loadConfig(env));
  if (first.sample && firstNotice(first.config.cache.dir, "bundled-sample", opts))
    note(
      "no DISCOGS_USER_TOKEN and no DISCOGS_INDEX_PATH: matching against the bundled 810-release sample " +
        "of the Discogs dump (CC0). Set DISCOGS_USER_TOKEN, or fetch and build the full offline index with " +
        "`discmeta index update` (see the README).",
    );
  return first.config;
}

/**
 * Whether an informational notice is new to this cache folder; it is then remembered there, so each
 * is printed once per folder (always with -v).
 */
export function firstNotice(cacheDir: string, kind: string, opts: { verbose?: boolean }): boolean {
  if (opts.verbose) return true;
  const marker = join(cacheDir, "notices", kind);
  if (existsSync(marker)) return false;
  try {
    mkdirSync(join(cacheDir, "notices"), { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } catch {
    // A cache folder we cannot write to only costs the memory of having said it.
  }
  return true;
}

/** Startup warnings worth showing for these options; "the LLM is off" once per cache folder. */
export function startupNotes(config: AppConfig, opts: EnrichCliOptions): string[] {
  return config.startupWarnings.filter((w) => {
    if (!w.startsWith("LLM disabled")) return true;
    if (opts.llm === false || config.mode === "fast") return false;
    return firstNotice(config.cache.dir, "llm-disabled", opts);
  });
}

/**
 * Runs a batch command with its configuration and container (disposed after); a bad setting is exit
 * code 2 with its message.
 */
export async function withBatchContainer(
  io: CliIo,
  opts: EnrichCliOptions,
  run: (config: AppConfig, container: Container) => Promise<number>,
): Promise<number> {
  const say = (text: string) => {
    if (verbosityOf(opts) !== "quiet") io.stderr.write(`discmeta: ${text}\n`);
  };
  let config: AppConfig;
  let container: Container;
  try {
    config = await batchConfig(io, opts, say);
    container = (io.makeContainer ?? createContainer)(config);
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
  container.setLogger((_level, msg) => say(msg));
  try {
    return await run(config, container);
  } finally {
    await container.dispose();
  }
}

/** Runs `enrich`; returns the exit code. */
export function runEnrich(paths: string[], opts: EnrichCliOptions, io: CliIo): Promise<number> {
  return withBatchContainer(io, opts, (config, container) => enrichAll(paths, opts, config, container, io));
}

async function enrichAll(
  paths: string[],
  opts: EnrichCliOptions,
  config: AppConfig,
  container: Container,
  io: CliIo,
): Promise<number> {
  const { files, missing, skipped } = await collectAudioFiles(paths);
  const reporter = createReporter(io, {
    total: files.length,
    verbosity: verbosityOf(opts),
    status: () => container.budgetStatus(),
  });
  for (const w of startupNotes(config, opts)) reporter.message(w);
  for (const m of missing) reporter.message(`cannot read "${m.path}": ${m.reason}`, "error");
  for (const s of skipped) reporter.message(`skipped "${s}": not an audio file`, "info");
  // undefined: not done yet; null: failed, nothing to print.
  const results: (string | null | undefined)[] = new Array(files.length);
  let printed = 0;
  const flush = () => {
    // Print in input order, as soon as the next one in line is ready.
    while (printed < files.length && results[printed] !== undefined) {
      const text = results[printed];
      if (text !== null) reporter.output(`${text}\n`);
      results[printed] = null;
      printed++;
    }
  };
  const inputs = await readAll(container, files, reporter);
  const onAnswer = (i: number, result: TrackMetadata) => {
    const warning = inputs[i]!.tagWarning;
    if (warning) result.warnings.unshift(unreadableTags(warning));
    if (opts.verbose)
      for (const w of result.warnings) reporter.message(`${files[i]!.path}: ${w.message}`, "debug");
    reporter.step(result.source === "discogs" ? "matched" : "fallback");
    results[i] = format({ file: files[i]!.path, ...result }, opts.pretty);
    flush();
  };
  // Ctrl-C: stop matching, print what is finished, then the summary; a second Ctrl-C quits at once.
  const controller = new AbortController();
  let interrupted = false;
  const stopListening = io.onInterrupt?.(() => {
    if (interrupted) return io.exitNow?.(130);
    interrupted = true;
    reporter.message("interrupted: printing what is finished (Ctrl-C again to quit at once)", "error");
    controller.abort(new DOMException("interrupted", "AbortError"));
  });
  try {
    await container.resolveBatch(
      inputs.map((x) => x.input),
      {
        mode: opts.mode,
        albums: opts.singles !== true,
        concurrency: opts.concurrency ?? 4,
        onAnswer,
        signal: controller.signal,
      },
    );
  } catch (err) {
    // Not expected (the pipeline degrades instead of throwing): every file still unanswered failed.
    for (let i = 0; i < files.length && !interrupted; i++) {
      if (results[i] !== undefined) continue;
      reporter.message(`${files[i]!.path}: failed: ${(err as Error).message}`, "error");
      reporter.step("failed");
      results[i] = null;
    }
  } finally {
    stopListening?.();
  }
  if (interrupted) {
    // Every finished answer, in input order, though one before it never finished.
    for (let i = printed; i < files.length; i++)
      if (typeof results[i] === "string") reporter.output(`${results[i]}\n`);
    const done = results.filter((r) => r !== undefined).length;
    reporter.finish([`interrupted after ${done} of ${files.length}`]);
    return 130;
  }
  flush();
  const requests = container.budgetStatus().requests;
  reporter.finish(requests > 0 ? [`${requests} Discogs API requests`] : []);
  if (files.length === 0 && missing.length === 0) reporter.message("no audio files found", "error");
  if (missing.length > 0) return 2;
  return reporter.tally.failed > 0 ? 1 : 0;
}

function format(body: unknown, pretty?: boolean): string {
  return pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
}

/** How a batch reads one file's tags: the tags, or none and why. */
export type ReadTags = (
  path: string,
  index: number,
) => Promise<{ tags: RawTags; warning: string | undefined }>;

/**
 * Reads every file's tags (a few at a time); an unreadable file falls back to its name, with a note.
 * `read` replaces the plain tag read (`tag` reads what its diff needs in the same parse).
 */
export async function readAll(
  container: Container,
  files: readonly AudioFile[],
  reporter: Reporter,
  read: ReadTags = (path) => readFileTags(container, path),
) {
  const out: { input: TrackInput; tagWarning: string | undefined }[] = new Array(files.length);
  await pool(files.length, 8, async (i) => {
    const file = files[i]!;
    const { tags, warning } = await read(file.path, i);
    if (warning) reporter.message(`${file.path}: ${warning}; using the filename only`);
    out[i] = { input: { filename: basename(file.path), tags, path: file.relative }, tagWarning: warning };
  });
  return out;
}
