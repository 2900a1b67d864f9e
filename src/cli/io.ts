/**
 * What the CLI writes to, and a reporter that keeps a progress line on stderr without ever printing a
 * warning over it: every message clears the line first, and the bar is drawn again after it.
 */
import type { AppConfig } from "../config.js";
import type { Container } from "../container.js";

/** Where the CLI writes; injected so tests can read it. */
export interface CliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Builds the container; tests may pass their own wiring. */
  makeContainer?: (config: AppConfig) => Container;
  /** Reads one answer at a prompt (the review flow); absent off a terminal. */
  prompt?: (question: string) => Promise<string>;
  now?: () => number;
  /** Calls `handler` on each interrupt (Ctrl-C); returns how to stop listening. Absent: none come. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process at once with `code` (a second Ctrl-C). */
  exitNow?: (code: number) => void;
}

/** How chatty the CLI is: -q errors only, -v per-file details. */
export type Verbosity = "quiet" | "normal" | "verbose";

/** The tally of a batch. */
export interface Tally {
  matched: number;
  fallback: number;
  failed: number;
}

/** What the progress line shows beyond counts. */
export interface BatchStatus {
  /** ms the next Discogs request waits for the budget; 0 when none. */
  budgetWaitMs: number;
  /** Discogs requests per minute the budget allows; null without the API. */
  budgetPerMinute: number | null;
  /** Discogs API requests so far. */
  requests: number;
}

/** Formats seconds as "1h 02m", "3m 05s" or "12 s". */
export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${s} s`;
}

/** Requests a track is expected to take before any has been answered (policy.minRequestsPerTrack). */
const FIRST_GUESS_REQUESTS = 2;

/**
 * The ETA: the observed pace, but never faster than the Discogs budget allows: the wait the budget
 * imposes right now (a full window, after a 429), then the requests the remaining tracks will need at
 * the rate seen so far, at the budget's steady rate. Before the first answer, the budget alone.
 */
export function estimateEta(
  done: number,
  total: number,
  elapsedSec: number,
  status: BatchStatus,
): number | null {
  const left = total - done;
  const byBudget = status.budgetPerMinute
    ? status.budgetWaitMs / 1000 +
      (Math.max(0, left * (done > 0 ? status.requests / done : FIRST_GUESS_REQUESTS) - 1) /
        status.budgetPerMinute) *
        60
    : null;
  if (done === 0 || elapsedSec <= 0) return byBudget;
  const byPace = (left * elapsedSec) / done;
  return byBudget === null ? byPace : Math.max(byPace, byBudget);
}

/** A progress line plus messages that never collide with it. */
export function createReporter(
  io: CliIo,
  options: { total: number; verbosity: Verbosity; label?: string; status?: () => BatchStatus },
) {
  const now = io.now ?? Date.now;
  const started = now();
  const bar = io.stderr.isTTY === true && options.verbosity !== "quiet" && options.total > 1;
  const tally: Tally = { matched: 0, fallback: 0, failed: 0 };
  let done = 0;
  let shown = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const line = (): string => {
    const elapsed = (now() - started) / 1000;
    const status = options.status?.() ?? { budgetWaitMs: 0, budgetPerMinute: null, requests: 0 };
    const width = 20;
    const filled = Math.round((done / Math.max(1, options.total)) * width);
    const rate = elapsed > 0 ? (done / elapsed) * 60 : 0;
    const eta = estimateEta(done, options.total, elapsed, status);
    const parts = [
      `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${options.total}`,
      `${rate.toFixed(rate < 10 ? 1 : 0)}/min`,
      eta === null ? "ETA -" : `ETA ${formatDuration(eta)}`,
      `matched ${tally.matched} · fallback ${tally.fallback} · failed ${tally.failed}`,
    ];
    if (status.budgetWaitMs >= 1000)
      parts.push(`waiting for Discogs budget, ${formatDuration(status.budgetWaitMs / 1000)}`);
    return parts.join("  ");
  };
  const draw = () => {
    if (!bar) return;
    io.stderr.write(`\r\x1b[K${line()}`);
    shown = true;
  };
  const clear = () => {
    if (bar && shown) io.stderr.write("\r\x1b[K");
    shown = false;
  };
  if (bar) {
    timer = setInterval(draw, 1000);
    timer.unref?.();
  }

  return {
    tally,
    /** A message on stderr, above the bar; suppressed by -q unless it is an error. */
    message(text: string, level: "error" | "warn" | "info" | "debug" = "warn") {
      if (options.verbosity === "quiet" && level !== "error") return;
      if (options.verbosity !== "verbose" && level === "debug") return;
      clear();
      io.stderr.write(`discmeta: ${level === "warn" ? "warning: " : ""}${text}\n`);
      draw();
    },
    /** Something for stdout (a result); the bar is cleared first and drawn again after. */
    output(text: string) {
      clear();
      io.stdout.write(text);
      draw();
    },
    /** One item finished. */
    step(outcome: keyof Tally) {
      tally[outcome]++;
      done++;
      draw();
    },
    /** Stops the bar and prints the summary. */
    finish(extra: string[] = []) {
      if (timer) clearInterval(timer);
      clear();
      if (options.verbosity === "quiet" && tally.failed === 0) return;
      const secs = (now() - started) / 1000;
      const label = options.label ?? "track";
      const summary = [
        `${done} ${label}${done === 1 ? "" : "s"} in ${formatDuration(secs)}`,
        `${tally.matched} matched, ${tally.fallback} fallback, ${tally.failed} failed`,
        ...extra,
      ];
      io.stderr.write(`discmeta: ${summary.join("; ")}\n`);
    },
  };
}

/** The reporter's type. */
export type Reporter = ReturnType<typeof createReporter>;
