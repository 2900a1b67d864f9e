/**
 * `discmeta tag <file-or-folder>...`: matches files as `enrich` does (albums included), then shows for
 * each file the diff of its tags against the match. A dry run unless --write. Uncertain matches go to
 * review: asked on a terminal with --review, else written to a review file that `--apply` reads back.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, relative, resolve as resolvePath } from "node:path";
import type { Container } from "../container.js";
import type { AudioEvidence } from "../core/audio/analyzer.js";
import type { KeyNotation } from "../core/audio/notation.js";
import { MetadataError } from "../core/errors.js";
import { pool } from "../core/pool.js";
import type { CoverImage, TagReader } from "../core/ports.js";
import type { Candidate, TrackMetadata } from "../core/schema.js";
import { explainPenalties } from "../core/score/explain.js";
import type { TagValues } from "../core/tagging/fields.js";
import {
  DEFAULT_TAG_POLICY,
  decide,
  describeChange,
  desiredValues,
  diffValues,
  type TagChange,
  type TagPolicy,
} from "../core/tagging/plan.js";
import {
  type Choice,
  mergeReview,
  parseReviewFile,
  REVIEW_HELP,
  type ReviewEntry,
  type ReviewFile,
  type ReviewItem,
  reviewItems,
} from "../core/tagging/review.js";
import type { TrackInput } from "../core/types.js";
import { audioEvidence, withEvidence } from "../enricher.js";
import {
  type EnrichCliOptions,
  type ReadTags,
  readAll,
  startupNotes,
  verbosityOf,
  withBatchContainer,
} from "./enrich.js";
import { type AudioFile, collectAudioFiles } from "./files.js";
import { type CliIo, createReporter, type Reporter } from "./io.js";

/** The options `tag` takes. */
export interface TagCliOptions extends EnrichCliOptions {
  write?: boolean;
  json?: boolean;
  review?: boolean;
  reviewFile?: string;
  apply?: string;
  cover?: boolean;
  withDescriptions?: boolean;
  minRecommendation?: TagPolicy["minRecommendation"];
  /** Measure BPM and key from the audio and write them. */
  analyze?: boolean;
  /** Write answers the LLM alone proposed, guesses included. */
  allowGuesses?: boolean;
  keyNotation?: KeyNotation;
}

/**
 * Where uncertain items go off a terminal, unless --review-file says otherwise: a file per library in
 * the state folder (the cache folder), named after the library, so a rerun finds its decisions again.
 */
export function defaultReviewFile(stateDir: string, paths: readonly string[]): string {
  const roots = paths.map((p) => resolvePath(p)).sort();
  const hash = createHash("sha256").update(roots.join("\n")).digest("hex").slice(0, 8);
  const name =
    basename(roots[0] ?? "library")
      .replace(/[^\p{L}\p{N}._-]+/gu, "-")
      .slice(0, 60) || "library";
  return join(stateDir, "reviews", `${name}-${hash}.json`);
}

/** What happened to one file. */
export type FileStatus = "unchanged" | "would-change" | "written" | "review" | "failed";

/** One file's line of the plan (`--json` prints these). */
export interface FileOutcome {
  file: string;
  status: FileStatus;
  releaseId: number | null;
  recommendation: string | null;
  changes: TagChange[];
  cover: boolean;
  reason: string | null;
}

/** What a run shares with each file's step. */
export interface TagRun {
  opts: TagCliOptions;
  policy: TagPolicy;
  container: Container;
  reporter: Reporter;
  /** The state folder (the cache folder): review files live here unless --review-file says. */
  stateDir: string;
}

/** Runs `tag`; returns the exit code. */
export function runTag(paths: string[], opts: TagCliOptions, io: CliIo): Promise<number> {
  if (!opts.apply && paths.length === 0) {
    io.stderr.write("discmeta: tag needs files or folders, or --apply <review-file>\n");
    return Promise.resolve(2);
  }
  return withTagRun(io, opts, (run) =>
    opts.apply ? applyReviewFile(opts.apply, run, io) : tagPaths(paths, run, io),
  );
}

/** Builds the container and what a tagging run shares (the policy, a reporter), then runs `body`. */
export function withTagRun(
  io: CliIo,
  opts: TagCliOptions,
  body: (run: TagRun) => Promise<number>,
): Promise<number> {
  return withBatchContainer(io, opts, async (config, container) => {
    const reporter = createReporter(io, {
      total: 0,
      verbosity: verbosityOf(opts),
      label: "file",
      status: () => container.budgetStatus(),
    });
    for (const w of startupNotes(config, opts)) reporter.message(w);
    return body({
      opts,
      policy: {
        minRecommendation: opts.minRecommendation ?? DEFAULT_TAG_POLICY.minRecommendation,
        withDescriptions: opts.withDescriptions === true,
        keyNotation: opts.keyNotation ?? "standard",
        allowGuesses: opts.allowGuesses === true,
      },
      container,
      reporter,
      stateDir: config.cache.dir,
    });
  });
}

/** A folder matched for tagging: its files, what they hold now, and their answers. */
export interface MatchedLibrary {
  run: TagRun;
  files: AudioFile[];
  inputs: TrackInput[];
  current: FileTags[];
  answers: TrackMetadata[];
  /** Paths given that could not be read. */
  missing: { path: string; reason: string }[];
}

/**
 * Finds the writable audio files under `paths`, reads each once, and matches them (albums included,
 * with --analyze the audio measured beside): the first half of `tag`, shared with `review`.
 */
export async function matchLibrary(
  paths: readonly string[],
  first: TagRun,
  io: CliIo,
  onAnswer: (index: number, answer: TrackMetadata) => void = () => {},
  onFiles: (files: readonly AudioFile[]) => void = () => {},
  signal?: AbortSignal,
): Promise<MatchedLibrary> {
  const { container, opts } = first;
  const { files: found, missing, skipped, temps } = await collectAudioFiles([...paths]);
  // The progress line counts files matched, now that they are known.
  const reporter = createReporter(io, {
    total: found.length,
    verbosity: verbosityOf(opts),
    label: "file",
    status: () => container.budgetStatus(),
  });
  const run: TagRun = { ...first, reporter };
  for (const m of missing) reporter.message(`cannot read "${m.path}": ${m.reason}`, "error");
  for (const s of skipped) reporter.message(`skipped "${s}": not an audio file`, "info");
  await removeStaleTemps(temps, reporter);
  const writable = new Set(container.tagWriter.extensions);
  const files = found.filter((f) => {
    if (writable.has(extname(f.path).toLowerCase())) return true;
    reporter.message(`skipped "${f.path}": discmeta does not write ${extname(f.path)} tags`, "info");
    return false;
  });
  onFiles(files);
  const { inputs, current } = await readFiles(files, run);
  const analyze = opts.analyze === true;
  // With --analyze the audio is decoded beside the matching, two files at a time.
  const evidence = analyze ? analyzeAll(files, run) : undefined;
  const matched = await container.resolveBatch(
    inputs.map((input) => ({ ...input, audioMeasured: analyze })),
    {
      mode: opts.mode,
      albums: opts.singles !== true,
      concurrency: opts.concurrency ?? 4,
      ...(signal ? { signal } : {}),
      onAnswer: (i, answer) => {
        reporter.step(answer.source === "discogs" ? "matched" : "fallback");
        onAnswer(i, answer);
      },
    },
  );
  const measured = evidence ? await evidence : undefined;
  const answers = measured ? matched.map((a, i) => withEvidence(container, a, measured[i]!)) : matched;
  if (measured)
    for (const [i, e] of measured.entries())
      if ("error" in e) reporter.message(`${files[i]!.path}: no BPM or key: ${e.error}`, "error");
  return { run, files, inputs, current, answers, missing };
}

async function tagPaths(paths: string[], first: TagRun, io: CliIo): Promise<number> {
  const { opts } = first;
  const { run, files, current, answers, missing } = await matchLibrary(paths, first, io);
  const outcomes: FileOutcome[] = [];
  const toReview: ReviewEntry[] = [];
  for (let i = 0; i < files.length; i++) {
    const answer = answers[i]!;
    const outcome = await planFile(files[i]!.path, answer, current[i]!, run, false);
    if (outcome.status === "review")
      toReview.push({ path: files[i]!.path, answer, reason: outcome.reason ?? "" });
    outcomes.push(outcome);
    show(outcome, run);
  }
  const items = reviewItems(toReview.map((e) => ({ ...e, path: resolvePath(e.path) })));
  const left = await reviewInteractively(items, run, io, outcomes);
  const settled = new Set(
    outcomes
      .filter((o) => o.status === "written" || o.status === "unchanged")
      .map((o) => resolvePath(o.file)),
  );
  const reviewFile = opts.reviewFile ?? defaultReviewFile(run.stateDir, paths);
  const roots = await Promise.all(paths.map((p) => realpath(p).catch(() => resolvePath(p))));
  await saveReview(left, reviewFile, run, settled, roots);
  return finish(
    outcomes,
    run,
    missing.length > 0 ? 2 : undefined,
    files.length === 0 && missing.length === 0,
  );
}

/** Decodes every file's audio, two at a time, into evidence (or why there is none). */
async function analyzeAll(
  files: readonly AudioFile[],
  run: TagRun,
): Promise<(AudioEvidence | { error: string })[]> {
  const out: (AudioEvidence | { error: string })[] = new Array(files.length);
  await pool(files.length, 2, async (i) => {
    out[i] = await audioEvidence(run.container, files[i]!.path);
  });
  return out;
}

/** A file's tags as read for tagging, or why they could not be read. */
export type FileTags = Awaited<ReturnType<TagReader["readValues"]>> | MetadataError;

/**
 * Reads every file once: the tags matching uses and the current values the diff needs come from one
 * parse. An unreadable file is matched by its name, and fails when its turn to be written comes.
 */
export async function readFiles(
  files: readonly AudioFile[],
  run: TagRun,
): Promise<{ inputs: TrackInput[]; current: FileTags[] }> {
  const current: FileTags[] = new Array(files.length);
  const read: ReadTags = async (path, i) => {
    try {
      const tags = await run.container.tagReader.readValues(path);
      current[i] = tags;
      return { tags: tags.tags, warning: undefined };
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      current[i] = err;
      return { tags: {}, warning: err.message };
    }
  };
  const inputs = (await readAll(run.container, files, run.reporter, read)).map((x) => x.input);
  return { inputs, current };
}

/**
 * One file's plan and, with --write, its write. `chosen` is a release the user picked: the policy's
 * threshold does not apply, but the answer must be on that release.
 */
export async function planFile(
  path: string,
  answer: TrackMetadata,
  current: FileTags,
  run: TagRun,
  chosen: number | false,
): Promise<FileOutcome> {
  const { container, opts, policy } = run;
  const base: FileOutcome = {
    file: path,
    status: "failed",
    releaseId: answer.discogs?.releaseId ?? null,
    recommendation: answer.albumMatch?.recommendation ?? answer.match?.recommendation ?? null,
    changes: [],
    cover: false,
    reason: null,
  };
  if (chosen !== false) {
    if (answer.discogs?.releaseId !== chosen)
      return { ...base, reason: `the track was not found on release ${chosen}` };
  }
  const decision = chosen === false ? decide(answer, policy) : ({ action: "write" } as const);
  // A match the policy would not write alone is still settled when the file already holds it, tag for
  // tag (a choice made in an earlier review): nothing to decide, nothing to write.
  const settled =
    !(current instanceof MetadataError) &&
    answer.discogs !== null &&
    current.values.discogsReleaseId?.[0] === String(answer.discogs.releaseId) &&
    diffValues(current.values, desiredValues(answer, policy), current.format).length === 0;
  if (decision.action === "review" && !settled) return { ...base, status: "review", reason: decision.reason };
  if (current instanceof MetadataError) return { ...base, reason: current.message };
  const desired = desiredValues(answer, policy);
  const changes = diffValues(current.values, desired, current.format);
  const wantsCover = opts.cover === true && !current.hasCover && Boolean(answer.release?.coverUrl);
  if (changes.length === 0 && !wantsCover) return { ...base, status: "unchanged" };
  if (!opts.write) return { ...base, status: "would-change", changes, cover: wantsCover };
  let cover: CoverImage | null = null;
  if (wantsCover) {
    try {
      cover = await container.covers.get(answer.discogs!.releaseId, answer.release!.coverUrl);
    } catch (err) {
      run.reporter.message(`${path}: no cover: ${(err as Error).message}`);
    }
  }
  const values: TagValues = Object.fromEntries(changes.map((c) => [c.field, c.to]));
  try {
    await container.tagWriter.write(path, values, cover ? { cover } : {});
    return { ...base, status: "written", changes, cover: cover !== null };
  } catch (err) {
    return { ...base, changes, reason: (err as Error).message };
  }
}

const MARK: Record<FileStatus, string> = {
  unchanged: "=",
  "would-change": "~",
  written: "+",
  review: "?",
  failed: "!",
};

/** Prints one file's outcome: a JSON line with --json, else a short diff. */
function show(o: FileOutcome, run: TagRun): void {
  const { reporter, opts } = run;
  if (opts.json) {
    reporter.output(`${JSON.stringify(o)}\n`);
    return;
  }
  if (o.status === "unchanged" && !opts.verbose) return;
  const where = o.releaseId ? ` [r${o.releaseId}${o.recommendation ? ` ${o.recommendation}` : ""}]` : "";
  const what =
    o.status === "would-change" || o.status === "written"
      ? `${o.status === "written" ? "wrote" : "would change"} ${o.changes.length} field${o.changes.length === 1 ? "" : "s"}${o.cover ? " and the cover" : ""}`
      : o.status === "unchanged"
        ? "up to date"
        : o.status === "review"
          ? `for review: ${o.reason}`
          : `failed: ${o.reason}`;
  const lines = [`${MARK[o.status]} ${o.file}${where}  ${what}`];
  if (o.status === "would-change" || o.status === "written")
    for (const c of o.changes) lines.push(`    ${describeChange(c)}`);
  reporter.output(`${lines.join("\n")}\n`);
}

/** One candidate as a line of the review prompt. */
export function describeCandidate(c: Candidate, n: number): string {
  const label = [c.label, c.catno].filter(Boolean).join(" ");
  const facts = [c.year, c.country, c.format, label].filter((x) => x !== null && x !== "").join(", ");
  const penalties = explainPenalties(c.penalties)
    .map((r) => r.text)
    .join(", ");
  const row = c.position || c.track ? `  ${[c.position, c.track].filter(Boolean).join(" ")}` : "";
  return (
    `  ${n}) ${c.artist} – ${c.album} [r${c.releaseId}]${facts ? ` ${facts}` : ""}\n` +
    `     distance ${c.distance} (${c.recommendation})${penalties ? `; ${penalties}` : ""}${row}`
  );
}

/** Reads one choice for an item: a candidate, a release id, skip, or stop asking (undefined). */
async function ask(item: ReviewItem, n: number, total: number, io: CliIo): Promise<Choice | undefined> {
  const head = [
    `\nReview ${n} of ${total}: ${item.files.length} file${item.files.length === 1 ? "" : "s"}: ${item.reason}`,
    `  now: ${[item.current.artist, item.current.title].filter(Boolean).join(" – ") || "(no tags)"}${item.current.album ? ` (${item.current.album})` : ""}`,
    ...item.files.slice(0, 5).map((f) => `  file: ${f}`),
    ...(item.files.length > 5 ? [`  ... and ${item.files.length - 5} more`] : []),
    ...(item.candidates.length > 0
      ? item.candidates.map((c, i) => describeCandidate(c, i + 1))
      : ["  (no candidates: enter a Discogs release id, or skip)"]),
  ];
  io.stderr.write(`${head.join("\n")}\n`);
  const range = item.candidates.length > 0 ? `1-${item.candidates.length} choose, ` : "";
  for (;;) {
    const answer = (await io.prompt!(`${range}r <id> a release id, s skip, q stop asking: `))
      .trim()
      .toLowerCase();
    if (answer === "q" || answer === "") return undefined;
    if (answer === "s") return "skip";
    const pick = Number(answer);
    if (Number.isInteger(pick) && pick >= 1 && pick <= item.candidates.length)
      return item.candidates[pick - 1]!.releaseId;
    const id = /^r\s*(\d{1,10})$/.exec(answer);
    if (id && Number(id[1]) > 0) return Number(id[1]);
    io.stderr.write(`discmeta: "${answer}" is not a choice\n`);
  }
}

/**
 * On a terminal with --review, asks about each item and applies the choices at once; returns the items
 * left undecided (all of them off a terminal or without --review).
 */
async function reviewInteractively(
  items: ReviewItem[],
  run: TagRun,
  io: CliIo,
  outcomes: FileOutcome[],
): Promise<ReviewItem[]> {
  if (items.length === 0) return [];
  if (!run.opts.review || !io.prompt) return items;
  const decided: ReviewItem[] = [];
  let i = 0;
  for (; i < items.length; i++) {
    const choice = await ask(items[i]!, i + 1, items.length, io);
    if (choice === undefined) break;
    decided.push({ ...items[i]!, choice });
  }
  const applied = await applyChoices(decided, run);
  for (const o of applied) {
    const k = outcomes.findIndex((x) => resolvePath(x.file) === resolvePath(o.file));
    if (k >= 0) outcomes[k] = o;
    show(o, run);
  }
  return items.slice(i);
}

/**
 * Places each decided item's files on the release chosen for it (one release fetch, no search) and
 * writes (or shows) the result.
 */
async function applyChoices(items: readonly ReviewItem[], run: TagRun): Promise<FileOutcome[]> {
  const { container, opts } = run;
  const out: FileOutcome[] = [];
  for (const item of items) {
    if (typeof item.choice !== "number") continue;
    const files: AudioFile[] = item.files.map((path) => ({ path, relative: path }));
    const { inputs, current } = await readFiles(files, run);
    let answers: Awaited<ReturnType<Container["resolveOnRelease"]>>;
    try {
      answers = await container.resolveOnRelease(inputs, item.choice, opts.mode ? { mode: opts.mode } : {});
    } catch (err) {
      const reason = `release ${item.choice}: ${(err as Error).message}`;
      for (const f of files) out.push(failedOutcome(f.path, reason));
      continue;
    }
    for (let i = 0; i < files.length; i++) {
      const answer = answers[i]!;
      out.push(
        "error" in answer
          ? failedOutcome(files[i]!.path, answer.error)
          : await planFile(files[i]!.path, answer, current[i]!, run, item.choice),
      );
    }
  }
  return out;
}

/** A temporary file older than this was left by a write that was killed; a live write takes seconds. */
const STALE_TEMP_MS = 60_000;

/** Removes the tag writer's temporary files that a killed write left behind (a live one is kept). */
async function removeStaleTemps(temps: readonly string[], reporter: Reporter): Promise<void> {
  for (const temp of temps) {
    const info = await stat(temp).catch(() => null);
    if (!info || Date.now() - info.mtimeMs < STALE_TEMP_MS) continue;
    await rm(temp, { force: true });
    reporter.message(`removed "${temp}", a temporary file an interrupted write left behind`, "info");
  }
}

/** True when `file`, symlinks resolved, is one of `roots` or inside one of them. */
async function confined(file: string, roots: readonly string[]): Promise<boolean> {
  const real = await realpath(file).catch(() => null);
  if (real === null) return false;
  return roots.some((root) => {
    const rel = relative(root, real);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  });
}

export function failedOutcome(file: string, reason: string): FileOutcome {
  return { file, status: "failed", releaseId: null, recommendation: null, changes: [], cover: false, reason };
}

/**
 * Saves the run's review items, merged with what the file already holds (nothing undecided is lost),
 * atomically; tells the user where, and how to apply it. A file there that is not a review file is
 * never replaced.
 */
export async function saveReview(
  items: ReviewItem[],
  path: string,
  run: TagRun,
  settled: ReadonlySet<string> | "replace" = new Set(),
  roots: readonly string[] = [],
): Promise<void> {
  let existing: ReviewItem[] = [];
  let knownRoots: string[] = [];
  const text = await readFile(path, "utf8").catch(() => null);
  if (text !== null) {
    try {
      const before = parseReviewFile(text);
      knownRoots = before.roots;
      if (settled !== "replace") existing = before.items;
    } catch (err) {
      run.reporter.message(
        `not saving the review items: "${path}" is not a review file we can merge into (${(err as Error).message}); move it away or pass --review-file`,
        "error",
      );
      return;
    }
  }
  const merged = settled === "replace" ? items : mergeReview(existing, items, settled);
  if (merged.length === 0 && text === null) return;
  const file: ReviewFile = {
    version: 1,
    help: REVIEW_HELP,
    created: new Date().toISOString(),
    roots: [...new Set([...knownRoots, ...roots])].sort(),
    items: merged,
  };
  await writeReviewFile(path, file);
  const undecided = merged.filter((i) => i.choice === null).length;
  if (merged.length === 0) {
    run.reporter.message(`nothing left to review; ${path} is empty`, "info");
    return;
  }
  run.reporter.message(
    `${merged.length} item${merged.length === 1 ? "" : "s"} to review (${undecided} undecided) saved in ${path}` +
      `${run.opts.write ? "" : " (dry run: your files were not written)"}: set each "choice", then run ` +
      `discmeta tag --apply ${JSON.stringify(path)}${run.opts.write ? " --write" : ""}`,
    "info",
  );
}

/** Writes a review file atomically (a temporary file renamed over it), creating its folder. */
export async function writeReviewFile(path: string, file: ReviewFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** `--apply <file>`: writes what the user chose; keeps the undecided items in the file. */
async function applyReviewFile(path: string, run: TagRun, io: CliIo): Promise<number> {
  let review: ReviewFile;
  try {
    review = parseReviewFile(await readFile(path, "utf8"));
  } catch (err) {
    io.stderr.write(`discmeta: cannot apply "${path}": ${(err as Error).message}\n`);
    return 2;
  }
  // Only files inside the folders the review was made for, symlinks resolved: a tampered file names
  // nothing else.
  const refused: FileOutcome[] = [];
  const decided: ReviewItem[] = [];
  for (const item of review.items.filter((i) => i.choice !== null)) {
    const inside: string[] = [];
    for (const f of item.files) {
      if (await confined(f, review.roots)) inside.push(f);
      else refused.push(failedOutcome(f, "outside the folders this review file was made for; refused"));
    }
    if (inside.length > 0) decided.push({ ...item, files: inside });
  }
  // The summary counts what this run did: one step per file of a decided item.
  const reporter = createReporter(io, {
    total: refused.length + decided.reduce((n, i) => n + i.files.length, 0),
    verbosity: verbosityOf(run.opts),
    label: "file",
    status: () => run.container.budgetStatus(),
  });
  run = { ...run, reporter };
  const outcomes = [...refused, ...(await applyChoices(decided, run))];
  for (const o of outcomes) {
    show(o, run);
    reporter.step(o.status === "failed" ? "failed" : o.releaseId === null ? "fallback" : "matched");
  }
  const skipped = decided.filter((i) => i.choice === "skip").reduce((n, i) => n + i.files.length, 0);
  // What failed stays to be chosen again; what was written or skipped leaves the file.
  const failed = new Set(outcomes.filter((o) => o.status === "failed").map((o) => o.file));
  const left = review.items.filter((i) => i.choice === null || i.files.some((f) => failed.has(f)));
  // A dry run leaves the file as it is, to be applied with --write.
  if (run.opts.write) await saveReview(left, path, run, "replace");
  return finish(outcomes, run, undefined, false, skipped);
}

/** The summary line; returns the exit code. */
function finish(
  outcomes: readonly FileOutcome[],
  run: TagRun,
  forced: number | undefined,
  nothing: boolean,
  skipped = 0,
): number {
  const count = (s: FileStatus) => outcomes.filter((o) => o.status === s).length;
  const budget = run.container.budgetStatus();
  const parts = [
    run.opts.write ? `${count("written")} written` : `${count("would-change")} would change`,
    `${count("unchanged")} unchanged`,
    `${count("review")} for review`,
    `${count("failed")} failed to tag`,
  ];
  if (skipped > 0) parts.push(`${skipped} skipped by choice`);
  if (budget.requests > 0)
    parts.push(`${budget.requests} Discogs API requests (${budget.searches} searches)`);
  if (run.container.covers.fetched > 0) parts.push(`${run.container.covers.fetched} covers fetched`);
  run.reporter.finish(parts);
  if (nothing) run.reporter.message("no audio files found", "error");
  if (!run.opts.write && count("would-change") > 0)
    run.reporter.message("dry run: nothing was written; add --write to apply", "info");
  if (forced !== undefined) return forced;
  return count("failed") > 0 ? 1 : 0;
}
