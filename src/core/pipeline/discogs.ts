/**
 * Stage 2 as a pipeline stage: match on Discogs, reject weak matches, map facts to the schema.
 */
import type { SearchHit } from "../catalog.js";
import { candidatesOf } from "../map-release.js";
import { findRelease, type MatchOutcome } from "../match/find.js";
import { unsplitReadings } from "../match/readings.js";
import { firstBatch } from "../match/search.js";
import { normalizeKey } from "../normalize.js";
import type { MetadataSource, TrackSearch } from "../ports.js";
import type { TrackMetadata } from "../schema.js";
import { recommend } from "../score/index.js";
import { type Reason, warning } from "../warnings.js";
import { matchedAnswer } from "./answer.js";
import { cacheKey } from "./cache-policy.js";
import { requestCatalogs } from "./catalog-source.js";
import type { Stage, StageContext, StageOutcome } from "./stages.js";

/** A stable share in [0, 100) of an input, for the gradual rollout (FNV-1a over the cache identity). */
export function rolloutBucket(artist: string | null, title: string | null): number {
  let h = 0x811c9dc5;
  for (const ch of `${normalizeKey(artist ?? "")}|${normalizeKey(title ?? "")}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

/**
 * A name neither tags nor grammar could split, of three words or more (an artist and a title fit in
 * fewer only by luck): Stage 2 may still find it by the artists the catalogue returns for the whole name.
 */
function isUnsplit(ctx: StageContext): boolean {
  const q = ctx.query;
  return q.source === "fallback" && !q.artist && q.title !== null && q.title.trim().split(/\s+/).length >= 3;
}

/** Hooks the LLM layer plugs into Stage 2. */
export interface DiscogsStageHooks {
  /** Extra search strategies when the ladder finds nothing strong (accurate mode). */
  moreQueries?: (ctx: StageContext) => (() => Promise<TrackSearch[]>) | undefined;
  /** May re-choose among close candidates; returns the outcome to use. */
  select?: (
    ctx: StageContext,
    outcome: MatchOutcome,
  ) => Promise<MatchOutcome & { selectedBy?: "scorer" | "llm" }>;
  /** Fills descriptive fields of a match; must not touch its facts. */
  describe?: (ctx: StageContext, result: TrackMetadata) => Promise<void>;
}

/**
 * An interactive request that the API budget cannot serve before its deadline is told so at once,
 * rather than after waiting the whole deadline for nothing. A track is admitted only with the requests
 * it is expected to make reserved (policy.minRequestsPerTrack), so a burst finishes its first tracks
 * instead of starting them all; the others are told a retry time that holds. Batch work has no
 * deadline and waits.
 */
function budgetRefusal(ctx: StageContext): Reason | null {
  const { budget, sourceKind } = ctx.deps;
  if (!budget || ctx.deadlineAt === null || (sourceKind ?? "api") !== "api") return null;
  const requests = ctx.deps.settings.policy.minRequestsPerTrack;
  const now = (ctx.deps.now ?? Date.now)();
  let wait: number;
  if (budget.admit) {
    const a = budget.admit(requests, ctx.deadlineAt - now, cacheKey(ctx.query));
    if (a.admitted) {
      ctx.admission = a;
      return null;
    }
    wait = a.waitMs;
  } else {
    wait = budget.waitMs(requests);
    if (now + wait < ctx.deadlineAt) return null;
  }
  ctx.budgetWaitMs = wait;
  return {
    code: "budget",
    reason: `Discogs budget exhausted: the next requests wait ${Math.ceil(wait / 1000)} s, past the deadline`,
  };
}

/** Creates the Discogs stage. */
export function createDiscogsStage(hooks: DiscogsStageHooks = {}): Stage {
  return {
    name: "discogs",
    skipReason(ctx) {
      const { settings, source } = ctx.deps;
      if (settings.discogsDisabled) return { code: "disabled", reason: settings.discogsDisabled };
      if (!source) return { code: "disabled", reason: "no Discogs source configured" };
      const q = ctx.query;
      const byVideo = Boolean(q.hints.youtubeId && q.title && source.findByVideoId);
      if (
        !q.hints.discogsReleaseId &&
        !q.hints.catno &&
        (!q.artist || !q.title) &&
        !isUnsplit(ctx) &&
        !byVideo
      )
        return { code: "no-query", reason: "no artist and title to search for" };
      if (rolloutBucket(q.artist, q.title) >= settings.discogsRolloutPercent) {
        return { code: "rollout", reason: `outside the rollout (${settings.discogsRolloutPercent}%)` };
      }
      // The budget first: the breaker's refusal() lets a probe through, which must then really run.
      const budget = budgetRefusal(ctx);
      if (budget) return budget;
      const open = ctx.deps.breaker?.refusal();
      if (!open) return null;
      ctx.admission?.release();
      delete ctx.admission;
      return { code: "circuit-open", reason: `Discogs unavailable: ${open}` };
    },
    async run(ctx) {
      const admission = ctx.admission;
      if (!admission) return runOn(ctx, hooks);
      try {
        return await admission.run(() => runOn(ctx, hooks));
      } finally {
        admission.release();
        delete ctx.admission;
      }
    },
  };
}

/** The stage's work: each catalogue in turn, the breaker told how it went. */
async function runOn(ctx: StageContext, hooks: DiscogsStageHooks): Promise<StageOutcome> {
  const catalogs = requestCatalogs(ctx.deps, ctx.counters);
  let outcome: StageOutcome = { result: null, code: "not-found", reason: "no catalogue" };
  const breaker = ctx.deps.breaker;
  try {
    for (const source of catalogs) {
      outcome = await matchOn(ctx, source, hooks);
      if (outcome.result) break;
    }
  } catch (err) {
    // A fault of the upstream (not our deadline) counts towards opening the circuit; a request our
    // deadline cut short gives no verdict, and a probe it was frees the way for the next one.
    if (ctx.signal.aborted) breaker?.abandon();
    else breaker?.failure();
    throw err;
  }
  breaker?.success();
  const subset = catalogs.length === 1 ? catalogs[0]!.subset : null;
  if (!outcome.result && subset && (outcome.code === "not-found" || outcome.code === "low-confidence")) {
    // A subset index's miss says little: the track may sit outside what it keeps.
    const why = `the offline index holds only a subset of Discogs (${subset}): the API may know this track`;
    ctx.warnings.push(warning("subset-index-miss", "discogs", why));
    return { ...outcome, reason: `${outcome.reason}; ${why}` };
  }
  return outcome;
}

/** Stage 2 over one catalogue: the ladder, the LLM's choice among close candidates, the mapping. */
async function matchOn(
  ctx: StageContext,
  source: MetadataSource,
  hooks: DiscogsStageHooks,
): Promise<StageOutcome> {
  const { settings } = ctx.deps;
  const budget = settings.policy.discogsRequests[ctx.mode];
  let seed: { hits: SearchHit[]; strategy: string } | undefined;
  const asGiven = ctx.query;
  if (isUnsplit(ctx)) {
    // No separator to split on: search the whole name, then read it as "artist title" (or "title
    // artist") only with an artist the catalogue returned; verification then judges the title.
    const batch = await firstBatch(
      source.findTrackCandidates({ artist: null, title: null, text: asGiven.title! }, ctx.signal),
    );
    const hits = batch?.hits ?? [];
    const reading = unsplitReadings(asGiven.title!, hits)[0];
    if (!reading)
      return { result: null, code: "not-found", reason: "no catalogue artist in the unsplit name" };
    ctx.query = { ...asGiven, ...reading, orderUncertain: false };
    seed = { hits, strategy: "q-unsplit" };
  }
  const miss = (code: Reason["code"], reason: string): StageOutcome => {
    // Later stages see the input as given, not a reading the catalogue did not confirm.
    ctx.query = asGiven;
    return { result: null, code, reason };
  };
  let outcome: MatchOutcome & { selectedBy?: "scorer" | "llm" };
  try {
    outcome = await findRelease(ctx.query, source, {
      maxResults: settings.maxResults,
      maxRequests: budget - (seed ? 1 : 0),
      signal: ctx.signal,
      seed,
      moreQueries: hooks.moreQueries?.(ctx),
      policy: settings.policy,
    });
    if (hooks.select) outcome = await hooks.select(ctx, outcome);
  } catch (err) {
    miss("error", "error");
    throw err;
  }
  const best = outcome.best;
  if (outcome.recommendation !== "strong")
    ctx.candidates = candidatesOf(outcome.ranked, (s) => recommend(s, settings.policy));
  if (!best)
    return miss(
      "not-found",
      outcome.strategies.length ? "no release holds this track" : "nothing to search for",
    );
  if (outcome.confidence < settings.minConfidence) {
    return miss(
      "low-confidence",
      `low confidence ${outcome.confidence} < ${settings.minConfidence} (${outcome.recommendation})`,
    );
  }
  const result = matchedAnswer(ctx.query, ctx.mode, best, {
    recommendation: outcome.recommendation,
    margin: outcome.margin,
    confidence: outcome.confidence,
    selectedBy: outcome.selectedBy ?? "scorer",
  });
  if (seed)
    result.warnings.push(
      warning(
        "unsplit-name",
        "discogs",
        "the name had no separator: artist and title read with the catalogue's artist",
      ),
    );
  if (outcome.recommendation !== "strong")
    result.warnings.push(warning("weak-match", "discogs", `match is ${outcome.recommendation}, not strong`));
  if (outcome.margin !== null && outcome.margin < settings.policy.margins.close)
    result.warnings.push(warning("close-runner-up", "discogs", "a different record scored almost as well"));
  if (hooks.describe && ctx.mode !== "fast") await hooks.describe(ctx, result);
  return { result };
}
