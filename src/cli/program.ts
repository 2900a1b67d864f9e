/**
 * The CLI: `discmeta <command>`, parsed by commander (help, --version, unknown options with "did you
 * mean", exit codes). Each command lives in its own file; this one only declares them.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { KEY_NOTATIONS } from "../core/audio/notation.js";
import { MODES } from "../core/types.js";
import { VERSION } from "../version.js";
import { runAnalyze } from "./analyze.js";
import { runEnrich } from "./enrich.js";
import { runIndexBuild, runIndexInfo, runIndexUpdate } from "./index-cmd.js";
import type { CliIo } from "./io.js";
import { runReview } from "./review/command.js";
import { runTag } from "./tag.js";
import { runWorker } from "./worker.js";

export { VERSION };

/** Exit codes, as the help lists them. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const FOOTER = `
Environment:
  DISCOGS_USER_TOKEN   a Discogs personal access token (Settings -> Developers); 60 requests/minute
  DISCOGS_INDEX_PATH   an offline index built by "discmeta index build"; no token or budget needed
  Without either, the CLI matches against the bundled 810-release sample of the Discogs dump.
  Every variable is listed in the README and in .env.example; .env in this folder is read too.

Exit codes:
  0  every file was answered (matched or fallback)
  1  at least one file failed outright (unreadable, or an unexpected error)
  2  bad usage, a bad setting, or a path that does not exist
`;

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new InvalidArgumentError(`must be a whole number from 0 to ${max}`);
    return n;
  };
}

function buildProgram(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command("discmeta")
    .description("Finds audio files' tracks on Discogs and returns clean, consistent metadata.")
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`discmeta: ${s.replace(/^error: /, "")}`),
    })
    .exitOverride()
    .addHelpText("after", FOOTER);

  matchOptions(
    program
      .command("enrich")
      .description("print each audio file's metadata as JSON, one object per line")
      .argument("<paths...>", "audio files or folders (folders are walked recursively)")
      .option("--json", "one JSON object per line (the default; accepted as `tag` accepts it)")
      .option("--pretty", "indented JSON for humans"),
  )
    .option(
      "--timeout <ms>",
      "a deadline per track; by default batch work waits for the Discogs budget",
      positiveInt(600_000),
    )
    .option("-v, --verbose", "more detail on stderr")
    .option("-q, --quiet", "errors only on stderr")
    .addHelpText("after", FOOTER)
    .action(async (paths: string[], opts) => setCode(await runEnrich(paths, opts, io)));

  matchOptions(
    program
      .command("tag")
      .description(
        "write matched metadata into audio files' tags (a dry run that shows the diff unless --write)",
      )
      .argument("[paths...]", "audio files or folders (MP3, FLAC, Ogg Vorbis, Opus, M4A)")
      .option("--write", "apply the changes (atomically; audio and other tags are never touched)")
      .option("--json", "print the plan as JSON lines, one per file")
      .option("--review", "on a terminal, ask about each uncertain file or album")
      .option(
        "--review-file <file>",
        "where uncertain items go off a terminal (default: a file per library in the cache folder; merged, never lost)",
      )
      .option("--apply <review-file>", "write the choices made in a review file")
      .option("--cover", "embed the release's cover when a file has none (one fetch per release)")
      .option(
        "--with-descriptions",
        "also write the LLM's descriptive fields (mood, description, its bpm and key guesses)",
      )
      .option(
        "--analyze",
        "measure BPM and key from the audio and write them (TBPM/TKEY, BPM/INITIALKEY, tmpo)",
      )
      .addOption(
        new Option("--key-notation <notation>", "how a key is written: Am, Camelot 8A or Open Key 1m")
          .choices(KEY_NOTATIONS)
          .default("standard"),
      )
      .addOption(
        new Option("--min-recommendation <rec>", "the weakest match written without review")
          .choices(["strong", "medium", "low"])
          .default("medium"),
      ),
  )
    .option("-v, --verbose", "more detail, unchanged files too")
    .option("-q, --quiet", "errors only on stderr")
    .addHelpText("after", FOOTER)
    .action(async (paths: string[], opts) => setCode(await runTag(paths, opts, io)));

  matchOptions(
    program
      .command("review")
      .description(
        "match a folder as `tag` does, then review it in the browser: accept, choose another release, skip, apply",
      )
      .argument("<paths...>", "audio folders or files (MP3, FLAC, Ogg Vorbis, Opus, M4A)")
      .option("--open", "start the system's browser on the page")
      .option("--host <address>", "bind to this address instead of 127.0.0.1 (prints a warning)")
      .option("--port <n>", "the page's port (default: a free one)", positiveInt(65535))
      .option(
        "--review-file <file>",
        "where decisions are saved (default: the library's file in the cache folder, as `tag` uses)",
      )
      .option("--cover", "embed the release's cover when a file has none, on apply")
      .option("--with-descriptions", "also write the LLM's descriptive fields")
      .addOption(
        new Option("--min-recommendation <rec>", "the weakest match accepted without asking")
          .choices(["strong", "medium", "low"])
          .default("medium"),
      ),
  )
    .option("-q, --quiet", "errors only on stderr")
    .addHelpText("after", FOOTER)
    .action(async (paths: string[], opts) => setCode(await runReview(paths, opts, io)));

  program
    .command("analyze")
    .description("measure each audio file's BPM and key from its audio (needs ffmpeg); no catalogue")
    .argument("<paths...>", "audio files or folders (MP3, FLAC, Ogg Vorbis, Opus, M4A/AAC, WAV)")
    .option("--json", "one JSON object per line")
    .addOption(
      new Option("--key-notation <notation>", "how keys are shown: Am, Camelot 8A or Open Key 1m")
        .choices(KEY_NOTATIONS)
        .default("standard"),
    )
    .option(
      "--style <style>",
      'a Discogs style the files share ("Drum n Bass"): it picks the tempo\'s octave',
    )
    .option("--concurrency <n>", "files analysed at once (1-16)", positiveInt(16), 2)
    .option("-v, --verbose", "more detail on stderr")
    .option("-q, --quiet", "errors only on stderr")
    .action(async (paths: string[], opts) => setCode(await runAnalyze(paths, opts, io)));

  program
    .command("worker")
    .description("answer bulk jobs (POST /api/v1/jobs) from Redis until stopped; needs REDIS_URL")
    .option("--concurrency <n>", "chunks answered at once (1-64)", positiveInt(64))
    .option("-v, --verbose", "more detail on stderr")
    .option("-q, --quiet", "errors only on stderr")
    .action(async (opts) => setCode(await runWorker(opts, io)));

  const index = program.command("index").description("build or inspect an offline Discogs index");
  const build = index
    .command("build")
    .description("stream Discogs' monthly CC0 dumps into an SQLite index (resumable)")
    .requiredOption("--releases <file>", "discogs_YYYYMMDD_releases.xml.gz")
    .option("--masters <file>", "discogs_YYYYMMDD_masters.xml.gz (optional: original years, main releases)")
    .option("--out <file>", "the index file (default: discogs-index.sqlite in the cache folder)")
    .option("--rebuild", "start again instead of resuming an interrupted build")
    .option("--dump-date <date>", "the dump's date, YYYY-MM-DD (default: from the file name)")
    .option("-q, --quiet", "no progress line");
  subsetOptions(build).action(async (opts) => setCode(await runIndexBuild(opts, io)));
  const update = index
    .command("update")
    .description(
      "download the newest monthly dump (resumable, checksum-verified), build it, and swap it in atomically",
    )
    .option("--out <file>", "the index to update (default: DISCOGS_INDEX_PATH, else the cache folder's)")
    .option("--download-dir <dir>", "where the dump files go (default: dumps/ beside the index)")
    .option("--date <date>", "a given month's dump, YYYY-MM-DD, instead of the newest listed")
    .option("--force", "build again even when the index holds this month's dump")
    .option("--keep-dumps", "keep the downloaded dump files after the swap")
    .option("-q, --quiet", "no progress line");
  subsetOptions(update).action(async (opts) => setCode(await runIndexUpdate(opts, io)));
  index
    .command("info")
    .description("print an index's dump date, age, counts and size")
    .argument(
      "[file]",
      "the index (default: DISCOGS_INDEX_PATH, else the cache folder's, else the bundled sample's)",
    )
    .action(async (file: string | undefined) => setCode(await runIndexInfo(file, io)));

  for (const cmd of [program, ...program.commands, ...index.commands]) {
    cmd.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
  }
  return program;
}

/** The matching options `enrich`, `tag` and `review` share. */
function matchOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--mode <mode>", "how much LLM help: fast never calls one").choices(MODES))
    .option("--no-discogs", "skip the Discogs stage")
    .option("--no-llm", "never call an LLM, whatever the mode")
    .option("--singles", "match every file alone, not folders as albums")
    .option("--concurrency <n>", "files resolved at once (1-64)", positiveInt(64), 4);
}

/** The subset options `index build` and `index update` share: a smaller index for a small disk. */
function subsetOptions(cmd: Command): Command {
  return cmd
    .option("--genres <list>", 'keep only these genres, comma-separated ("Electronic,Jazz")')
    .option("--styles <list>", 'keep only these styles ("Techno,Deep House")')
    .option("--formats <list>", 'keep only these formats ("Vinyl,CD,File")')
    .option("--since <year>", "keep only releases of this year or later (undated ones are kept)")
    .option("--artists-from <dir>", "keep only the artists named in a music folder's tags and file names");
}

/** Runs the CLI; returns the exit code. Never throws for bad input. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
}
