/**
 * A review session: one folder matched as `tag` matches it, grouped into rows (an album's files, or a
 * file alone), each with its match, its tag diff per file and its other candidates; the decisions the
 * user makes on them (accept, another candidate or release id, skip), saved to the review file as they
 * are made; and the writing of what was accepted, through `tag`'s own plan and writer.
 *
 * Files are named by the session's own plan (a row id and an index into it), never by a path a client
 * sends: the page can only ever touch files of the folder the session was started on.
 */
import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { MetadataError } from "../../core/errors.js";
import type { Candidate, TrackMetadata } from "../../core/schema.js";
import { explainPenalties, type PenaltyReason } from "../../core/score/explain.js";
import type { TagChange } from "../../core/tagging/plan.js";
import {
  type Choice,
  parseReviewFile,
  REVIEW_HELP,
  type ReviewItem,
  reviewItems,
} from "../../core/tagging/review.js";
import type { TrackInput } from "../../core/types.js";
import type { AudioFile } from "../files.js";
import type { CliIo } from "../io.js";
import {
  defaultReviewFile,
  type FileOutcome,
  type FileTags,
  matchLibrary,
  planFile,
  type TagRun,
  writeReviewFile,
} from "../tag.js";

/** A row's state, for the filters: what it needs from the user. */
export type RowStatus = "review" | "change" | "unchanged" | "failed";

/** What the user decided for a row. `auto`: accepted because the match passes the policy, as `tag --write`. */
export type Decision =
  | { kind: "undecided" }
  | { kind: "accept"; releaseId: number; auto: boolean }
  | { kind: "skip" };

/** What a client may ask: accept the shown match, choose a release (a candidate's or any id), skip, or undo. */
export type DecisionRequest = "accept" | "skip" | "undecided" | { releaseId: number };

/** A refusal the page is told about (the HTTP status and why). */
export class ReviewRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = "ReviewRequestError";
  }
}

/** One file of the session. */
interface SessionFile {
  path: string;
  /** Its path under the folder, as shown. */
  name: string;
  input: TrackInput;
  current: FileTags;
  answer: TrackMetadata;
  /** The policy's verdict on the current answer (review, would change, unchanged, failed). */
  verdict: FileOutcome;
  /** The diff the answer would write (computed even when the verdict is review). */
  changes: TagChange[];
  /** Why it cannot be written, when it cannot. */
  error: string | null;
  /** What apply did to it. */
  result: FileOutcome | null;
}

/** One row: an album's files, or a file matched alone, sharing one decision. */
interface SessionRow {
  id: string;
  files: number[];
  reason: string;
  candidates: Candidate[];
  decision: Decision;
  /** A release is being fetched for it (a choice in progress). */
  busy: boolean;
  /** Why the last choice failed. */
  error: string | null;
}

/** The page's view of a candidate. */
export interface CandidateView extends Candidate {
  url: string;
  reasons: PenaltyReason[];
}

/** The page's view of a row. */
export interface RowView {
  id: string;
  kind: "album" | "single";
  status: RowStatus;
  reason: string;
  artist: string | null;
  title: string | null;
  match: {
    releaseId: number;
    url: string;
    artist: string | null;
    album: string | null;
    year: number | null;
    country: string | null;
    label: string | null;
    catno: string | null;
    format: string | null;
    cover: boolean;
  } | null;
  recommendation: "strong" | "medium" | "low" | "none" | null;
  confidence: number;
  reasons: PenaltyReason[];
  candidates: CandidateView[];
  decision: Decision;
  busy: boolean;
  error: string | null;
  files: {
    name: string;
    status: FileOutcome["status"];
    changes: TagChange[];
    error: string | null;
    result: { status: FileOutcome["status"]; reason: string | null; changes: number } | null;
  }[];
}

/** The whole page state. */
export interface SessionView {
  phase: "matching" | "ready" | "applying" | "done" | "failed";
  folder: string;
  reviewFile: string;
  progress: { done: number; total: number };
  tally: Record<RowStatus, number> & { accepted: number; skipped: number; undecided: number };
  applied: { written: number; unchanged: number; failed: number } | null;
  error: string | null;
  rows: RowView[];
}

const RANK = { none: 0, low: 1, medium: 2, strong: 3 } as const;

const releaseUrl = (id: number) => `https://www.discogs.com/release/${id}`;

const keyOf = (paths: readonly string[]) => [...paths].sort().join("\n");

export class ReviewSession {
  private phase: SessionView["phase"] = "matching";
  private readonly progress = { done: 0, total: 0 };
  private files: SessionFile[] = [];
  private rows: SessionRow[] = [];
  private error: string | null = null;
  private applied: SessionView["applied"] = null;
  private roots: string[] = [];
  /** Serialises review-file writes, so two quick decisions never race. */
  private saving: Promise<void> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();
  readonly reviewFile: string;

  constructor(
    private readonly run: TagRun,
    private readonly paths: readonly string[],
    private readonly io: CliIo,
  ) {
    this.reviewFile = run.opts.reviewFile ?? defaultReviewFile(run.stateDir, paths);
  }

  /** Matches the folder, plans every file, restores the decisions the review file holds. */
  async match(signal?: AbortSignal): Promise<void> {
    try {
      this.roots = await Promise.all(this.paths.map((p) => realpath(p).catch(() => resolvePath(p))));
      const matched = await matchLibrary(
        this.paths,
        this.run,
        this.io,
        () => {
          this.progress.done++;
        },
        (files) => {
          this.progress.total = files.length;
        },
        signal,
      );
      this.files = await Promise.all(
        matched.files.map((f, i) =>
          this.plan(f, matched.inputs[i]!, matched.current[i]!, matched.answers[i]!),
        ),
      );
      const items = reviewItems(
        this.files.map((f) => ({
          path: f.path,
          answer: f.answer,
          reason: f.verdict.reason ?? "",
        })),
      );
      const index = new Map(this.files.map((f, i) => [f.path, i]));
      this.rows = items.map((item) => this.rowOf(item, index));
      await this.restore();
      // "ready" once the review file is saved or its refusal recorded: a page (or a test) that sees the
      // phase sees the error with it.
      await this.save();
      this.phase = "ready";
    } catch (err) {
      this.phase = "failed";
      this.error = signal?.aborted ? "stopped while matching" : (err as Error).message;
    }
  }

  private async plan(
    file: AudioFile,
    input: TrackInput,
    current: FileTags,
    answer: TrackMetadata,
    chosen: number | false = false,
  ): Promise<SessionFile> {
    const dry = { ...this.run, opts: { ...this.run.opts, write: false } };
    const path = resolvePath(file.path);
    const verdict = await planFile(path, answer, current, dry, chosen);
    // The diff the match would write, shown even when the policy sends it to review.
    const releaseId = answer.discogs?.releaseId;
    const preview =
      verdict.status === "review" && releaseId !== undefined
        ? await planFile(path, answer, current, dry, releaseId)
        : verdict;
    const unreadable = current instanceof MetadataError ? current.message : null;
    return {
      path,
      name: file.relative,
      input,
      current,
      answer,
      verdict: unreadable ? { ...verdict, status: "failed", reason: unreadable } : verdict,
      changes: preview.changes,
      error: unreadable ?? (verdict.status === "failed" ? verdict.reason : null),
      result: null,
    };
  }

  private rowOf(item: ReviewItem, index: ReadonlyMap<string, number>): SessionRow {
    const files = item.files.map((p) => index.get(p)!);
    const verdicts = files.map((i) => this.files[i]!.verdict.status);
    const sure = verdicts.every((s) => s === "would-change" || s === "unchanged");
    const release = this.files[files[0]!]!.answer.discogs?.releaseId;
    return {
      id: `r${createHash("sha256").update(keyOf(item.files)).digest("hex").slice(0, 12)}`,
      files,
      reason: item.reason,
      candidates: item.candidates,
      decision:
        sure && release !== undefined && verdicts.includes("would-change")
          ? { kind: "accept", releaseId: release, auto: true }
          : { kind: "undecided" },
      busy: false,
      error: null,
    };
  }

  /** The decisions the review file already holds for these rows (a rerun loses nothing). */
  private async restore(): Promise<void> {
    const text = await readFile(this.reviewFile, "utf8").catch(() => null);
    if (text === null) return;
    let items: ReviewItem[];
    try {
      items = parseReviewFile(text).items;
    } catch {
      return; // save() refuses to overwrite it, and says so
    }
    const byKey = new Map(items.map((i) => [keyOf(i.files), i.choice]));
    for (const row of this.rows) {
      const choice = byKey.get(keyOf(this.pathsOf(row)));
      if (choice === undefined || choice === null) continue;
      if (choice === "skip") row.decision = { kind: "skip" };
      else await this.choose(row, choice).catch(() => {});
    }
  }

  private pathsOf(row: SessionRow): string[] {
    return row.files.map((i) => this.files[i]!.path);
  }

  private row(id: string): SessionRow {
    const row = this.rows.find((r) => r.id === id);
    if (!row) throw new ReviewRequestError(404, `no row "${id}" in this review`);
    return row;
  }

  /** Records a decision; choosing a release places the row's files on it first (one release fetch). */
  async decide(id: string, request: DecisionRequest): Promise<void> {
    if (this.phase === "matching")
      throw new ReviewRequestError(409, "still matching; decide when it is done");
    if (this.phase === "applying") throw new ReviewRequestError(409, "writing; decide when it is done");
    const row = this.row(id);
    if (row.busy) throw new ReviewRequestError(409, "a release is being fetched for this row");
    if (request === "skip") row.decision = { kind: "skip" };
    else if (request === "undecided") row.decision = { kind: "undecided" };
    else if (request === "accept") {
      const release = this.releaseOf(row);
      if (release === null)
        throw new ReviewRequestError(
          409,
          "this row has no Discogs match to accept: choose a release or skip",
        );
      await this.choose(row, release);
    } else await this.choose(row, request.releaseId);
    await this.save();
  }

  /** The release the row's files are on now, if any. */
  private releaseOf(row: SessionRow): number | null {
    return this.files[row.files[0]!]!.answer.discogs?.releaseId ?? null;
  }

  /** Places the row's files on `releaseId` (kept as they are when already there) and accepts it. */
  private async choose(row: SessionRow, releaseId: number): Promise<void> {
    const onIt = row.files.every((i) => this.files[i]!.answer.discogs?.releaseId === releaseId);
    if (!onIt) {
      row.busy = true;
      row.error = null;
      try {
        const files = row.files.map((i) => this.files[i]!);
        const answers = await this.run.container.resolveOnRelease(
          files.map((f) => f.input),
          releaseId,
          this.run.opts.mode ? { mode: this.run.opts.mode } : {},
        );
        const missing = answers.map((a, k) => ("error" in a ? `${files[k]!.name}: ${a.error}` : null));
        if (missing.every((m) => m !== null)) {
          row.error = `release ${releaseId}: ${missing[0]!.replace(/^[^:]*: /, "")}`;
          throw new ReviewRequestError(409, row.error);
        }
        for (const [k, a] of answers.entries()) {
          if ("error" in a) continue;
          const f = files[k]!;
          this.files[row.files[k]!] = await this.plan(
            { path: f.path, relative: f.name },
            f.input,
            f.current,
            a,
            releaseId,
          );
        }
        row.error = missing.some((m) => m !== null)
          ? `not on release ${releaseId}, left as they were: ${missing.filter(Boolean).join("; ")}`
          : null;
      } catch (err) {
        if (err instanceof ReviewRequestError) throw err;
        row.error = `release ${releaseId}: ${(err as Error).message}`;
        throw new ReviewRequestError(409, row.error);
      } finally {
        row.busy = false;
      }
    }
    row.decision = { kind: "accept", releaseId, auto: false };
  }

  /**
   * Writes every accepted row's files through `tag`'s plan and writer (atomic, audio untouched); the
   * page follows the progress. Returns once writing has started.
   */
  startApply(): void {
    if (this.phase !== "ready" && this.phase !== "done")
      throw new ReviewRequestError(409, `cannot apply while ${this.phase}`);
    if (this.rows.some((r) => r.busy)) throw new ReviewRequestError(409, "a release is still being fetched");
    const todo = this.rows
      .filter((r) => r.decision.kind === "accept")
      .flatMap((r) =>
        r.files.filter((i) => this.files[i]!.result?.status !== "written").map((i) => [r, i] as const),
      );
    this.phase = "applying";
    this.progress.done = 0;
    this.progress.total = todo.length;
    this.applied = { written: 0, unchanged: 0, failed: 0 };
    this.writing = this.applyAll(todo);
  }

  /** Resolves once no write is in progress (Ctrl-C waits for it: a file is never left half written). */
  async settle(): Promise<void> {
    await this.writing;
    await this.saving;
  }

  private async applyAll(todo: readonly (readonly [SessionRow, number])[]): Promise<void> {
    const write = { ...this.run, opts: { ...this.run.opts, write: true } };
    for (const [row, i] of todo) {
      const f = this.files[i]!;
      const chosen = row.decision.kind === "accept" && !row.decision.auto ? row.decision.releaseId : false;
      let outcome: FileOutcome;
      try {
        outcome = f.error
          ? { ...f.verdict, status: "failed", reason: f.error }
          : await planFile(f.path, f.answer, f.current, write, chosen);
      } catch (err) {
        outcome = { ...f.verdict, status: "failed", reason: (err as Error).message };
      }
      f.result = outcome;
      const applied = this.applied!;
      if (outcome.status === "written") applied.written++;
      else if (outcome.status === "failed") applied.failed++;
      else applied.unchanged++;
      this.progress.done++;
    }
    try {
      await this.save();
    } finally {
      this.phase = "done";
    }
  }

  /**
   * Saves the review file: every row that still needs a decision, or whose decision the user made,
   * with its choice; rows written in full leave it. Items of other folders in the file stay.
   */
  save(): Promise<void> {
    const next = this.saving.then(() => this.saveNow());
    this.saving = next.catch(() => {});
    return next;
  }

  private async saveNow(): Promise<void> {
    const text = await readFile(this.reviewFile, "utf8").catch(() => null);
    let existing: ReviewItem[] = [];
    let knownRoots: string[] = [];
    if (text !== null) {
      try {
        const before = parseReviewFile(text);
        existing = before.items;
        knownRoots = before.roots;
      } catch (err) {
        this.error = `decisions are not saved: "${this.reviewFile}" is not a review file (${(err as Error).message}); move it away or pass --review-file`;
        return;
      }
    }
    const ours = new Set(this.files.map((f) => f.path));
    const items: ReviewItem[] = [];
    for (const row of this.rows) {
      const files = row.files.map((i) => this.files[i]!);
      if (files.every((f) => f.result?.status === "written" || f.result?.status === "unchanged")) continue;
      const d = row.decision;
      const status = this.statusOf(row);
      if (status === "unchanged" || (d.kind === "accept" && d.auto)) continue;
      if (status === "failed" && d.kind === "undecided") continue;
      const first = files[0]!.answer;
      items.push({
        id: row.id,
        files: files.map((f) => f.path),
        current: { artist: first.artist, title: files.length > 1 ? null : first.title, album: first.album },
        reason: row.reason,
        candidates: row.candidates,
        choice: (d.kind === "skip" ? "skip" : d.kind === "accept" ? d.releaseId : null) satisfies Choice,
      });
    }
    const kept = existing.filter((i) => !i.files.some((f) => ours.has(f)));
    if (items.length === 0 && kept.length === 0 && text === null) return;
    await writeReviewFile(this.reviewFile, {
      version: 1,
      help: REVIEW_HELP,
      created: new Date().toISOString(),
      roots: [...new Set([...knownRoots, ...this.roots])].sort(),
      items: [...items, ...kept],
    });
  }

  private statusOf(row: SessionRow): RowStatus {
    const files = row.files.map((i) => this.files[i]!);
    if (files.every((f) => f.verdict.status === "failed")) return "failed";
    if (files.some((f) => f.verdict.status === "review")) return "review";
    if (files.some((f) => f.verdict.status === "would-change")) return "change";
    if (files.some((f) => f.verdict.status === "failed")) return "failed";
    return "unchanged";
  }

  /** A candidate as a cover may be served for it: a release of a row, with its address. */
  coverOf(id: string): { releaseId: number; url: string } | null {
    const row = this.row(id);
    const answer = this.files[row.files[0]!]!.answer;
    const url = answer.release?.coverUrl;
    return answer.discogs && url ? { releaseId: answer.discogs.releaseId, url } : null;
  }

  /** The page's state. */
  view(): SessionView {
    const rows = this.rows.map((r) => this.rowView(r));
    rows.sort(
      (a, b) =>
        (a.recommendation === null ? -1 : RANK[a.recommendation]) -
          (b.recommendation === null ? -1 : RANK[b.recommendation]) ||
        a.confidence - b.confidence ||
        (a.title ?? "").localeCompare(b.title ?? ""),
    );
    const count = (s: RowStatus) => rows.filter((r) => r.status === s).length;
    const needs = rows.filter((r) => r.status !== "unchanged" && !(r.status === "failed" && !r.match));
    return {
      phase: this.phase,
      folder: this.roots.join(", ") || this.paths.join(", "),
      reviewFile: this.reviewFile,
      progress: { ...this.progress },
      tally: {
        review: count("review"),
        change: count("change"),
        unchanged: count("unchanged"),
        failed: count("failed"),
        accepted: needs.filter((r) => r.decision.kind === "accept").length,
        skipped: needs.filter((r) => r.decision.kind === "skip").length,
        undecided: needs.filter(
          (r) => r.decision.kind === "undecided" && (r.status === "review" || r.status === "change"),
        ).length,
      },
      applied: this.applied ? { ...this.applied } : null,
      error: this.error,
      rows,
    };
  }

  private rowView(row: SessionRow): RowView {
    const files = row.files.map((i) => this.files[i]!);
    const first = files[0]!.answer;
    const album = first.albumMatch && first.albumMatch.items > 1 ? first.albumMatch : null;
    const match = first.discogs
      ? {
          releaseId: first.discogs.releaseId,
          url: first.discogs.url,
          artist: first.release?.albumArtist ?? first.artist,
          album: first.album,
          year: first.year,
          country: first.country,
          label: first.label,
          catno: first.catalogNumber,
          format: first.release?.format ?? null,
          cover: Boolean(first.release?.coverUrl),
        }
      : null;
    const chosenByUser = first.match?.selectedBy === "user";
    const recommendation = chosenByUser
      ? first.match!.recommendation
      : (album?.recommendation ?? first.match?.recommendation ?? null);
    const own = match ? row.candidates.find((c) => c.releaseId === match.releaseId) : undefined;
    const penalties = (album && !chosenByUser ? own?.penalties : undefined) ?? first.match?.penalties ?? {};
    return {
      id: row.id,
      kind: files.length > 1 ? "album" : "single",
      status: this.statusOf(row),
      reason: row.reason,
      artist: first.release?.albumArtist ?? first.artist,
      title: files.length > 1 ? first.album : first.title,
      match,
      recommendation,
      confidence: Math.round((files.reduce((n, f) => n + f.answer.confidence, 0) / files.length) * 100) / 100,
      reasons: explainPenalties(penalties),
      candidates: row.candidates.map((c) => ({
        ...c,
        url: releaseUrl(c.releaseId),
        reasons: explainPenalties(c.penalties),
      })),
      decision: row.decision,
      busy: row.busy,
      error: row.error,
      files: files.map((f) => ({
        name: f.name,
        status: f.verdict.status,
        changes: f.changes,
        error: f.error,
        result: f.result
          ? { status: f.result.status, reason: f.result.reason, changes: f.result.changes.length }
          : null,
      })),
    };
  }
}
