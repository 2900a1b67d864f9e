/**
 * `discmeta enrich <file-or-folder>...`: reads tags, resolves each track, prints one JSON object per line.
 */
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { type AppConfig, loadConfig } from "../config.js";
import { type Container, createContainer } from "../container.js";
import { MODES, type Mode } from "../core/types.js";
import { resolveFile } from "../enricher.js";
import { collectAudioFiles } from "./files.js";

/** Where the CLI writes; injected so tests can read it. */
export interface CliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Builds the container; tests may pass their own wiring. */
  makeContainer?: (config: AppConfig) => Container;
}

const USAGE = `Usage: discmeta enrich <file-or-folder>... [options]

Finds each audio file's track on Discogs and prints its metadata as JSON, one object per line.

Options:
  --pretty              indented JSON for humans
  --mode <m>            fast | balanced | accurate (default: METADATA_MODE or balanced)
  --no-discogs          skip the Discogs stage
  --no-llm              never call an LLM
  --concurrency <n>     files resolved at once (default 4)
  -h, --help            this help
`;

function progress(io: CliIo, done: number, total: number, name: string): void {
  const width = 24;
  const filled = Math.round((done / total) * width);
  const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
  io.stderr.write(`\r[${bar}] ${done}/${total} ${name.slice(0, 40).padEnd(40)}`);
}

/** Runs the CLI; returns the exit code. Never throws for bad input. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help || args.command !== "enrich") {
    io.stderr.write(args.help ? USAGE : `discmeta: unknown command "${args.command ?? ""}"\n\n${USAGE}`);
    return args.help ? 0 : 2;
  }
  if (args.paths.length === 0) {
    io.stderr.write(`discmeta: enrich needs at least one file or folder\n\n${USAGE}`);
    return 2;
  }
  let config: AppConfig;
  try {
    const env = { ...io.env };
    if (args.noDiscogs) env.METADATA_USE_DISCOGS = "false";
    if (args.noLlm) {
      env.METADATA_USE_LLM_FALLBACK = "false";
      env.METADATA_MODE = "fast";
    }
    if (args.mode) env.METADATA_MODE = args.mode;
    config = loadConfig(env);
  } catch (err) {
    io.stderr.write(`discmeta: ${(err as Error).message}\n`);
    return 2;
  }
  const container = (io.makeContainer ?? createContainer)(config);
  try {
    return await enrichAll(args, container, io);
  } finally {
    await container.dispose();
  }
}

function parseCliArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      pretty: { type: "boolean", default: false },
      mode: { type: "string" },
      "no-discogs": { type: "boolean", default: false },
      "no-llm": { type: "boolean", default: false },
      concurrency: { type: "string", default: "4" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const mode = values.mode;
  if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) {
    throw new Error(`--mode must be one of ${MODES.join(", ")}, not "${mode}"`);
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new Error("--concurrency must be a whole number from 1 to 64");
  }
  return {
    command: positionals[0],
    paths: positionals.slice(1),
    pretty: values.pretty === true,
    mode: mode as Mode | undefined,
    noDiscogs: values["no-discogs"] === true,
    noLlm: values["no-llm"] === true,
    concurrency,
    help: values.help === true,
  };
}

async function enrichAll(
  args: ReturnType<typeof parseCliArgs>,
  container: Container,
  io: CliIo,
): Promise<number> {
  for (const w of container.config.startupWarnings) io.stderr.write(`discmeta: warning: ${w}\n`);
  const { files, missing } = await collectAudioFiles(args.paths);
  for (const m of missing) io.stderr.write(`discmeta: cannot read "${m.path}": ${m.reason}\n`);
  const showProgress = io.stderr.isTTY === true && files.length > 3;
  const results: (string | undefined)[] = new Array(files.length);
  let next = 0;
  let printed = 0;
  let done = 0;
  const flush = () => {
    // Print in input order, as soon as the next one in line is ready.
    while (printed < files.length && results[printed] !== undefined) {
      if (showProgress) io.stderr.write("\r\x1b[K");
      io.stdout.write(`${results[printed]}\n`);
      results[printed] = "";
      printed++;
    }
  };
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      const { result, tagWarning } = await resolveFile(container, file, { mode: args.mode });
      if (tagWarning) io.stderr.write(`discmeta: ${tagWarning}; using the filename only\n`);
      const body = { file, ...result };
      results[i] = args.pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
      done++;
      flush();
      if (showProgress) progress(io, done, files.length, basename(file));
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, files.length) }, worker));
  if (showProgress) io.stderr.write("\r\x1b[K");
  if (files.length === 0 && missing.length === 0) io.stderr.write("discmeta: no audio files found\n");
  return missing.length > 0 ? 2 : 0;
}
