/**
 * Where the LLM helps, under a strict budget of calls per request: the Stage 1 split fallback, query
 * building and candidate selection in Stage 2, descriptive fields after a match, and Stage 3 (LLM only).
 * Facts never come from the LLM: it chooses among candidates we found, and its answers are validated.
 */

import { keyNotations, parseKey } from "../audio/notation.js";
import type { ReleaseTrack, SearchHit } from "../catalog.js";
import { describeError, LlmError } from "../errors.js";
import { looksLikeInstruction } from "../extract.js";
import {
  type DescribeAnswer,
  DescribeSchema,
  LlmOnlySchema,
  QuerySchema,
  type SelectCandidate,
  SelectSchema,
  SplitSchema,
} from "../llm-tasks.js";
import type { Cluster } from "../match/cluster.js";
import type { MatchOutcome } from "../match/find.js";
import { normalizeKey, normalizeMix, normalizeName, normalizeTitle } from "../normalize.js";
import type { LlmTask, TrackSearch } from "../ports.js";
import type { Bpm, Key, TrackMetadata } from "../schema.js";
import type { AlbumScored } from "../score/index.js";
import { calibratedConfidence, recommend, round3 } from "../score/index.js";
import { joinCredits, textSimilarity } from "../similarity.js";
import { EXTRACTION_CONFIDENCE, type TrackQuery } from "../types.js";
import { lookupCountry, lookupGenre, lookupStyle } from "../vocabulary.js";
import { type Reason, warning } from "../warnings.js";
import type { DiscogsStageHooks } from "./discogs.js";
import { blankMetadata } from "./simple.js";
import type { Stage, StageContext } from "./stages.js";

/** Why the LLM may not be called for this request, or null. */
export function llmUnavailable(ctx: StageContext): Reason | null {
  if (ctx.mode === "fast") return { code: "fast-mode", reason: "fast mode makes no LLM calls" };
  if (ctx.deps.settings.llmDisabled) return { code: "disabled", reason: ctx.deps.settings.llmDisabled };
  if (!ctx.deps.llm) return { code: "disabled", reason: "no LLM configured" };
  const budget = ctx.deps.settings.policy.llmCalls[ctx.mode];
  if (ctx.counters.llmCalls >= budget)
    return { code: "llm-budget", reason: `LLM budget of ${budget} calls reached` };
  return null;
}

/** One budgeted, counted call. Returns null (and a warning) instead of throwing on LLM failure. */
async function call<T>(
  ctx: StageContext,
  task: LlmTask,
  schema: Parameters<NonNullable<StageContext["deps"]["llm"]>["generate"]>[1],
  input: unknown,
  timeoutMs?: number,
): Promise<T | null> {
  const why = llmUnavailable(ctx);
  if (why) return null;
  ctx.counters.llmCalls++;
  ctx.counters.llmTasks.push(task);
  const now = ctx.deps.now ?? Date.now;
  const t0 = now();
  try {
    const { value, usage } = await ctx.deps.llm!.generate(task, schema, input, {
      signal: ctx.signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    // Retries and repairs are calls too: they spend the same budget.
    ctx.counters.llmCalls += Math.max(0, (usage.calls ?? 1) - 1);
    ctx.deps.observer?.llm?.(task, "ok", {
      seconds: usage.latencyMs / 1000,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
    return value as T;
  } catch (err) {
    if (err instanceof LlmError) ctx.counters.llmCalls += Math.max(0, (err.calls ?? 1) - 1);
    ctx.deps.observer?.llm?.(task, "error", {
      seconds: (now() - t0) / 1000,
      inputTokens: 0,
      outputTokens: 0,
    });
    ctx.warnings.push(warning("llm-failed", "llm", `llm ${task} failed: ${describeError(err)}`));
    if (!(err instanceof LlmError) && !ctx.signal.aborted) throw err;
    ctx.llmFailures = [...(ctx.llmFailures ?? []), task];
    return null;
  }
}

/**
 * Stage 1 fallback: the LLM splits a name the grammar could not. Its parts must be words of the
 * filename itself, so a model cannot invent an artist.
 */
export async function splitWithLlm(ctx: StageContext): Promise<void> {
  const q = ctx.query;
  if (q.source !== "fallback" || llmUnavailable(ctx)) return;
  if (looksLikeInstruction(ctx.input.filename)) {
    ctx.warnings.push(
      warning(
        "llm-refused-input",
        "llm",
        "filename reads like an instruction to a model; not sent to the LLM",
      ),
    );
    return;
  }
  const answer = await call<{ artist: string | null; title: string | null; mix: string | null }>(
    ctx,
    "split",
    SplitSchema,
    {
      filename: ctx.input.filename,
    },
  );
  if (!answer?.artist || !answer.title) return;
  const name = normalizeKey(ctx.input.filename);
  const inName = (s: string) => normalizeKey(s) !== "" && name.includes(normalizeKey(s));
  if (!inName(answer.artist) || !inName(answer.title)) {
    ctx.warnings.push(
      warning("llm-split-rejected", "llm", "llm split rejected: its artist or title is not in the filename"),
    );
    return;
  }
  // A split is two contiguous runs of the name's words that make the whole name, one after the other:
  // "Larry Heard Missing You" may be Larry Heard / Missing You, never Missing / You.
  // Compared without spaces, so a name written as one word ("DaysSincePast") splits too.
  const compact = (x: string) => normalizeKey(x).replace(/ /g, "");
  const whole = compact(q.title ?? "");
  const [a, t] = [compact(answer.artist), compact(answer.title)];
  if (whole !== "" && whole !== `${a}${t}` && whole !== `${t}${a}`) {
    ctx.warnings.push(
      warning(
        "llm-split-rejected",
        "llm",
        "llm split rejected: its artist and title are not the name's two parts",
      ),
    );
    return;
  }
  // Every field obeys the same rule: a mix the filename does not spell is the model's invention.
  const mix = answer.mix && inName(answer.mix) ? normalizeMix(answer.mix) : null;
  if (answer.mix && !mix && !isOriginalMixText(answer.mix))
    ctx.warnings.push(
      warning("llm-mix-ignored", "llm", "llm split: its mix is not in the filename; ignored"),
    );
  ctx.query = {
    ...q,
    artist: normalizeName(answer.artist),
    title: normalizeTitle(answer.title),
    mix: mix ?? q.mix,
    source: "llm",
    confidence: EXTRACTION_CONFIDENCE.llm,
    pattern: "llm",
  };
}

/** Accurate mode: the LLM writes extra searches when the ladder found nothing strong; each runs once. */
function moreQueries(ctx: StageContext): (() => Promise<TrackSearch[]>) | undefined {
  if (ctx.mode !== "accurate") return undefined;
  return async () => {
    const q = ctx.query;
    const answer = await call<{ queries: Record<string, string | null>[] }>(ctx, "query", QuerySchema, {
      artist: q.artist,
      title: q.title,
      mix: q.mix,
      hints: q.hints,
      count: 3,
      withReasoning: true,
    });
    return (answer?.queries ?? []).map((raw) => searchOf(raw));
  };
}

/** One query the LLM wrote, as a search with exactly its facts (validated by QuerySchema). */
function searchOf(raw: Record<string, string | null>): TrackSearch {
  const year = raw.year ? Number.parseInt(raw.year, 10) : Number.NaN;
  const out: TrackSearch = { artist: raw.artist ?? null, title: raw.track ?? null, exact: true };
  if (raw.release_title) out.album = raw.release_title;
  if (raw.q) out.text = raw.q;
  if (raw.label) out.label = raw.label;
  if (raw.catno) out.catno = raw.catno;
  if (Number.isInteger(year)) out.year = year;
  return out;
}

function evidence(rows: ReleaseTrack[], best: ReleaseTrack | null): SelectCandidate["rows"] {
  const i = best ? rows.indexOf(best) : 0;
  const fmt = (s: number | null) => (s ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : null);
  return rows
    .slice(Math.max(0, i - 1), i + 2)
    .map((r) => ({ position: r.position, title: r.title, duration: fmt(r.durationSec) }));
}

/**
 * Balanced and accurate modes: when the scorer is not sure (below strong, or a close rival), the LLM
 * chooses among the top candidates. Its index must be one shown; the final confidence blends the
 * scorer's and the LLM's and is never the LLM's word alone.
 */
async function select(
  ctx: StageContext,
  outcome: MatchOutcome,
): Promise<MatchOutcome & { selectedBy?: "scorer" | "llm" }> {
  const { ranked, recommendation, margin } = outcome;
  const needed = ranked.length > 0 && (recommendation !== "strong" || (margin !== null && margin < 0.05));
  if (!needed || !ctx.deps.settings.useLlmSelection) return outcome;
  const top = ranked.slice(0, 5);
  const candidates: SelectCandidate[] = top.map((s, index) => {
    const r = s.candidate.release!;
    return {
      index,
      artist: joinCredits(s.row?.artists.length ? s.row.artists : r.artists),
      release: r.title,
      year: r.year,
      country: r.country,
      label: r.labels[0]?.name ?? null,
      formats: r.formats.flatMap((f) => [f.name, ...f.descriptions]),
      rows: evidence(r.tracklist, s.row),
      scorerDistance: round3(s.distance),
    };
  });
  const q = ctx.query;
  const answer = await call<{ selected_index: number | null; confidence: number }>(
    ctx,
    "select",
    SelectSchema,
    {
      track: { artist: q.artist, title: q.title, mix: q.mix, durationSec: q.hints.durationSec ?? null },
      candidates,
      detailed: ctx.mode === "accurate",
    },
  );
  if (!answer) return outcome;
  if (answer.selected_index === null) {
    // The model sees no fit: keep the scorer's pick but trust it less.
    return { ...outcome, confidence: round3(outcome.confidence * 0.6) };
  }
  if (answer.selected_index >= top.length) {
    ctx.warnings.push(
      warning(
        "llm-choice-ignored",
        "llm",
        `llm selection ignored: index ${answer.selected_index} is not a candidate shown`,
      ),
    );
    return outcome;
  }
  const chosen = top[answer.selected_index]!;
  const scorer = calibratedConfidence(chosen, margin, ctx.deps.settings.policy);
  const blended =
    answer.selected_index === 0
      ? Math.min(0.99, scorer + (answer.confidence - 0.5) * 0.1)
      : Math.min(scorer + 0.1, (scorer + answer.confidence) / 2);
  const reordered = [chosen, ...ranked.filter((s) => s !== chosen)];
  return {
    ...outcome,
    ranked: reordered,
    best: chosen,
    recommendation: recommend(chosen, ctx.deps.settings.policy),
    confidence: round3(blended),
    selectedBy: answer.selected_index === 0 ? "scorer" : "llm",
  };
}

/**
 * Album mode, balanced and accurate: the LLM chooses among close album candidates, once per album. It
 * sees the files' titles and each release's facts and tracklist; its index must be one shown.
 */
export async function selectAlbum(
  ctx: StageContext,
  cluster: Cluster,
  ranked: readonly AlbumScored[],
): Promise<number | null> {
  const candidates: SelectCandidate[] = ranked.map((s, index) => ({
    index,
    artist: joinCredits(s.release.artists),
    release: s.release.title,
    year: s.release.year,
    country: s.release.country,
    label: s.release.labels[0]?.name ?? null,
    formats: s.release.formats.flatMap((f) => [f.name, ...f.descriptions]),
    rows: s.release.tracklist
      .slice(0, 12)
      .map((r) => ({ position: r.position, title: r.title, duration: null })),
    scorerDistance: round3(s.distance),
  }));
  const answer = await call<{ selected_index: number | null; confidence: number }>(
    ctx,
    "select",
    SelectSchema,
    {
      track: {
        artist: cluster.artist,
        title: cluster.album ?? cluster.items[0]?.query.title ?? null,
        mix: null,
        durationSec: null,
        files: cluster.items.slice(0, 20).map((i) => i.query.title),
      },
      candidates,
      detailed: ctx.mode === "accurate",
    },
  );
  if (!answer || answer.selected_index === null) return null;
  if (answer.selected_index >= ranked.length) {
    ctx.warnings.push(
      warning(
        "llm-choice-ignored",
        "album",
        `llm album selection ignored: index ${answer.selected_index} is not a candidate shown`,
      ),
    );
    return null;
  }
  return answer.selected_index;
}

/** Keeps only official Discogs genre and style names, in Discogs' spelling. */
export function officialTags(tags: string[]): string[] {
  const out = new Set<string>();
  for (const t of tags) {
    const hit = lookupStyle(t) ?? lookupGenre(t);
    if (hit) out.add(hit);
  }
  return [...out];
}

/** An LLM estimate is kept only when it says it is sure, and then only as a guess, never as a fact. */
const SURE_ESTIMATE = 0.8;
/** An estimate's confidence is capped below any measured value's. */
const ESTIMATE_MAX_CONFIDENCE = 0.6;

function estimated(e: DescribeAnswer["bpm"]): { value: string; confidence: number } | null {
  return e && e.confidence >= SURE_ESTIMATE
    ? { value: e.value.trim(), confidence: Math.min(ESTIMATE_MAX_CONFIDENCE, e.confidence) }
    : null;
}

function estimatedBpm(e: DescribeAnswer["bpm"]): Bpm | null {
  const s = estimated(e);
  const n = s ? Number(s.value) : Number.NaN;
  return s && Number.isFinite(n) && n >= 40 && n <= 250
    ? { value: Math.round(n * 10) / 10, confidence: s.confidence, source: "llm" }
    : null;
}

function estimatedKey(e: DescribeAnswer["key"]): Key | null {
  const s = estimated(e);
  const k = s ? parseKey(s.value) : null;
  return s && k ? { ...keyNotations(k), confidence: s.confidence, source: "llm" } : null;
}

/**
 * Copies only descriptive fields from an answer onto a result; facts stay as they are. A BPM or key
 * measured from the audio is never replaced by an estimate.
 */
export function applyDescription(
  result: TrackMetadata,
  a: Omit<DescribeAnswer, "bpm" | "key"> & Partial<Pick<DescribeAnswer, "bpm" | "key">>,
): void {
  result.context = { background: a.context.background, impact: a.context.impact };
  result.description = a.description;
  result.tags = officialTags(a.tags);
  const measured = result.audioFeatures;
  const bpm = measured.bpm?.source === "audio" ? measured.bpm : estimatedBpm(a.bpm ?? null);
  const key = measured.key?.source === "audio" ? measured.key : estimatedKey(a.key ?? null);
  result.audioFeatures = {
    bpm,
    key,
    vocals: a.vocals,
    atmosphere: a.atmosphere.slice(0, 10),
    estimated: bpm?.source === "llm" || key?.source === "llm",
  };
}

/** After a Discogs match (balanced, accurate): descriptive fields from the release's facts. */
/** Time kept back from the deadline when the descriptive call runs, so the facts still go out. */
const DESCRIBE_MARGIN_MS = 300;
/** Less time than this left: the descriptions are skipped. */
const MIN_DESCRIBE_MS = 500;

async function describe(ctx: StageContext, result: TrackMetadata): Promise<void> {
  // No LLM here (none configured, fast mode, its budget spent): no descriptions were promised.
  if (llmUnavailable(ctx)) return;
  const facts = {
    artist: result.artist,
    title: result.title,
    mix: result.mix,
    album: result.album,
    year: result.originalYear ?? result.year,
    country: result.country,
    label: result.label,
    genre: result.genre,
    style: result.style,
  };
  // The facts are final: the descriptive call gets what is left of the deadline, less a margin, so a
  // slow model costs the descriptions, never the match.
  const left =
    ctx.deadlineAt === null ? undefined : ctx.deadlineAt - (ctx.deps.now ?? Date.now)() - DESCRIBE_MARGIN_MS;
  if (left !== undefined && left < MIN_DESCRIBE_MS) {
    ctx.pending = { descriptions: "deadline" };
    ctx.warnings.push(
      warning(
        "llm-describe-skipped",
        "llm",
        "llm describe skipped: too little time left before the deadline",
      ),
    );
    return;
  }
  // BPM and key measured from the audio are facts: the model is not asked for them at all.
  const schema = ctx.input.audioMeasured ? DescribeSchema.omit({ bpm: true, key: true }) : DescribeSchema;
  const started = (ctx.deps.now ?? Date.now)();
  const answer = await call<Omit<DescribeAnswer, "bpm" | "key">>(ctx, "describe", schema, { facts }, left);
  if (answer) {
    applyDescription(result, answer);
    delete ctx.pending;
    return;
  }
  if (!ctx.llmFailures?.includes("describe")) return;
  // The match stands without its descriptions; the answer says what it lacks, and why.
  const slow = left !== undefined && (ctx.deps.now ?? Date.now)() - started >= left * 0.9;
  ctx.pending = { descriptions: ctx.signal.aborted || slow ? "deadline" : "upstream" };
}

/** The facts Stage 3 may guess. */
const GUESSABLE = ["album", "year", "country", "label", "genre", "style"] as const;

/** A guessed name the catalogue holds: one of its names this close. */
const HELD_SIMILARITY = 0.85;

/**
 * With an offline index (free lookups), a guessed album or label the catalogue does not hold for this
 * artist is dropped: a model's invention ("HACKED") must not pass as a name. A failed lookup keeps the
 * guess, still marked as one.
 */
async function dropUnheldGuesses(ctx: StageContext, result: TrackMetadata): Promise<void> {
  const { source, sourceKind } = ctx.deps;
  if (!source || sourceKind !== "index" || (!result.album && !result.label)) return;
  const hits: SearchHit[] = [];
  try {
    const searches = [
      source.findTrackCandidates({ artist: result.artist, title: result.title }, ctx.signal),
      ...(result.album
        ? [source.findAlbumCandidates({ artist: result.artist, album: result.album }, ctx.signal)]
        : []),
    ];
    for (const batches of searches) {
      for await (const batch of batches) {
        hits.push(...batch.hits);
        ctx.counters.indexLookups++;
        break;
      }
    }
  } catch {
    return;
  }
  const held = { album: hits.map((h) => h.title), label: hits.flatMap((h) => h.labels) };
  for (const field of ["album", "label"] as const) {
    const guess = result[field];
    if (!guess || held[field].some((n) => textSimilarity(n, guess) >= HELD_SIMILARITY)) continue;
    ctx.warnings.push(
      warning(
        "llm-guess-dropped",
        "llm",
        `the LLM's ${field} "${guess.slice(0, 80)}" is not in the catalogue; dropped`,
      ),
    );
    result[field] = null;
  }
}

/** Completes a cached match that lacks its descriptions (the LLM failed when it was made). */
export const completeDescriptions = describe;

/** The hooks Stage 2 calls. */
export const LLM_DISCOGS_HOOKS: DiscogsStageHooks = { moreQueries, select, describe };

/** Model text for a name field: trimmed, at most 200 characters, no control characters; else null. */
function boundedText(text: string | null | undefined): string | null {
  const t = (text ?? "").trim();
  if (t === "" || t.length > 200 || [...t].some((ch) => ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127))
    return null;
  return t;
}

const isOriginalMixText = (s: string) => /^\s*original( mix)?\s*$/i.test(s);

/** Stage 3: when Discogs has no confident match, the LLM's own proposal, marked source "llm", ≤ 0.6. */
export function createLlmOnlyStage(): Stage {
  return {
    name: "llm",
    skipReason(ctx) {
      if (!ctx.deps.settings.useLlmFallback)
        return { code: "disabled", reason: "METADATA_USE_LLM_FALLBACK is false" };
      const why = llmUnavailable(ctx);
      if (why) return why;
      if (!ctx.query.artist || !ctx.query.title)
        return { code: "no-query", reason: "no artist and title to ask about" };
      return null;
    },
    async run(ctx) {
      const q: TrackQuery = ctx.query;
      const answer = await call<import("../llm-tasks.js").LlmOnlyAnswer>(ctx, "llm-only", LlmOnlySchema, {
        artist: q.artist,
        title: q.title,
        mix: q.mix,
      });
      // A model that failed is a fault (the answer is degraded, not a settled miss); one that answered
      // nothing usable is a miss.
      if (!answer && ctx.llmFailures?.includes("llm-only"))
        throw new LlmError("llm: llm-only failed; the answer falls back without the LLM's proposal");
      if (!answer) return { result: null, code: "no-answer", reason: "the LLM gave no usable answer" };
      const result = blankMetadata(q, ctx.mode);
      // Artist, title and mix stay Stage 1's; the rest is the model's proposal, flagged by source "llm".
      // Even flagged as the model's, facts are bounded: a known country or none, a plausible year, and
      // short names without control characters.
      result.album = boundedText(answer.album) ?? result.album;
      result.year =
        answer.year && answer.year >= 1900 && answer.year <= new Date().getFullYear() + 1
          ? answer.year
          : result.year;
      result.country = (answer.country ? lookupCountry(answer.country) : undefined) ?? result.country;
      result.label = boundedText(answer.label) ?? result.label;
      result.genre = answer.genre.map((g) => lookupGenre(g)).filter((g): g is string => g !== undefined);
      result.style = answer.style.map((s) => lookupStyle(s)).filter((s): s is string => s !== undefined);
      applyDescription(result, answer);
      await dropUnheldGuesses(ctx, result);
      result.guessed = GUESSABLE.filter((f) => {
        const v = result[f];
        return Array.isArray(v) ? v.length > 0 : v !== null;
      });
      result.source = "llm";
      const cap = ctx.deps.settings.policy.llmOnlyMaxConfidence;
      result.confidence = round3(Math.min(cap, answer.confidence));
      result.warnings.push(
        warning("llm-facts", "llm", "facts proposed by the LLM, not confirmed by Discogs"),
      );
      return { result };
    },
  };
}
