/**
 * Warnings and stage reasons as data. A warning is `{code, stage, message}`, as music-metadata's
 * `quality.warnings` are objects: clients and metrics read the code (a bounded set), people read the
 * message. A stage record's `code` says in the same bounded way why a stage was skipped, missed or
 * failed; its `reason` keeps the words. Nothing parses a message back.
 */
import { z } from "zod";
import { UpstreamError } from "./errors.js";

/** Where a warning arose. */
export const WARNING_STAGES = ["input", "cache", "discogs", "album", "llm", "simple", "audio"] as const;
export type WarningStage = (typeof WARNING_STAGES)[number];

/** What a warning says, as a code a client can act on. */
export const WARNING_CODES = [
  /** The file's tags could not be read; the name alone was used. */
  "unreadable-tags",
  /** The cache did not answer; the lookup ran uncached. */
  "cache-unavailable",
  /** The request's deadline struck in a stage. */
  "deadline",
  /** A stage did not run (its record's code says why). */
  "stage-skipped",
  /** A stage failed (its record's code says how). */
  "stage-failed",
  /** The name had no separator; artist and title were read with the catalogue's artist. */
  "unsplit-name",
  /** The match (or album match) is not strong. */
  "weak-match",
  /**
   * No track of the album matched the file: the album facts are its folder's (the other files agree on
   * the record), the artist and title its own, and it has no position.
   */
  "album-only",
  /** Another record scored almost as well. */
  "close-runner-up",
  /** An LLM task failed; the answer is the deterministic one. */
  "llm-failed",
  /** The filename reads like an instruction to a model, so it was not sent. */
  "llm-refused-input",
  /** The LLM's split of the name was rejected (not in the name). */
  "llm-split-rejected",
  /** The LLM's mix was not in the name and was ignored. */
  "llm-mix-ignored",
  /** The LLM chose a candidate it was not shown; its choice was ignored. */
  "llm-choice-ignored",
  /** Too little time was left to ask for descriptions. */
  "llm-describe-skipped",
  /** The facts are the LLM's proposal, not confirmed by Discogs. */
  "llm-facts",
  /** A guessed album or label the offline catalogue does not hold was dropped. */
  "llm-guess-dropped",
  /** The offline index holds only a subset of Discogs and had no match: the API may know the track. */
  "subset-index-miss",
  /** No artist in tags or name. */
  "no-artist",
  /** No title in tags or name. */
  "no-title",
  /** The audio could not be analysed (no decoder, or a file it cannot decode): no BPM or key measured. */
  "audio-unanalysed",
  /** The audio was analysed, but a BPM or key was left out (a drifting tempo, an unclear key). */
  "audio-uncertain",
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export const WarningSchema = z.object({
  code: z.enum(WARNING_CODES),
  stage: z.enum(WARNING_STAGES),
  message: z.string(),
});
export type Warning = z.infer<typeof WarningSchema>;

/** A warning. */
export const warning = (code: WarningCode, stage: WarningStage, message: string): Warning => ({
  code,
  stage,
  message,
});

/** The warning for a file whose tags could not be read (the reader's "tags: ..." message). */
export const unreadableTags = (message: string): Warning =>
  warning("unreadable-tags", "input", `unreadable tags: ${message.replace(/^tags: /, "")}`);

/** Why a stage was skipped, missed or failed: a bounded set, for clients and metric labels. */
export const REASON_CODES = [
  /** Switched off or not configured (METADATA_USE_DISCOGS, no token or index, no LLM key, ...). */
  "disabled",
  /** Fast mode makes no LLM calls. */
  "fast-mode",
  /** Nothing to look up: no artist and title (nor a release id, catalogue number or video). */
  "no-query",
  /** Outside DISCOGS_ROLLOUT_PERCENT. */
  "rollout",
  /** The Discogs budget cannot serve the request before its deadline. */
  "budget",
  /** The LLM calls allowed for the mode are spent. */
  "llm-budget",
  /** Discogs failed repeatedly; its circuit is open until a probe succeeds. */
  "circuit-open",
  /** The request's deadline struck. */
  "deadline",
  /** The catalogue had no release with this track. */
  "not-found",
  /** The best candidate's confidence is below DISCOGS_MIN_CONFIDENCE. */
  "low-confidence",
  /** The LLM gave no usable answer. */
  "no-answer",
  /** The upstream answered 429 past every retry. */
  "rate-limited",
  /** The upstream failed (network, 5xx, a bad body). */
  "upstream-error",
  /** Anything else that threw. */
  "error",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** A reason: its code and the words. */
export interface Reason {
  code: ReasonCode;
  reason: string;
}

/** The reason code of a thrown error. */
export function errorCode(err: unknown): ReasonCode {
  if (err instanceof UpstreamError) return err.status === 429 ? "rate-limited" : "upstream-error";
  return "error";
}
