/**
 * The stage loop: an ordered list of stages run by one generic loop (as Navidrome's callAgentMethod),
 * each recording {stage, outcome, code, reason, ms}; the first answer wins, the simple stage always
 * answers.
 */
import { describeError } from "../errors.js";
import type { Candidate, StageRecord, TrackMetadata } from "../schema.js";
import type { Mode, TrackInput, TrackQuery } from "../types.js";
import { errorCode, type Reason, type Warning, warning } from "../warnings.js";
import type { BudgetAdmission } from "./cache-policy.js";
import type { CatalogCounters } from "./catalog-source.js";
import type { PipelineDeps } from "./deps.js";
import { simpleExtraction } from "./simple.js";

/** The reason a stage records when the request's deadline struck. */
export const DEADLINE_REACHED: Reason = { code: "deadline", reason: "request deadline reached" };

/** Per-request state shared by the stages. */
export interface StageContext {
  input: TrackInput;
  query: TrackQuery & { pattern: string };
  mode: Mode;
  deps: PipelineDeps;
  signal: AbortSignal;
  /** When the request's deadline strikes (ms since the epoch), or null for none (batch work). */
  deadlineAt: number | null;
  warnings: Warning[];
  /** The catalogue's best candidates, when its match was not strong (kept even when it was refused). */
  candidates?: Candidate[];
  /** Counters the stages bump, reported in diagnostics. */
  counters: CatalogCounters & { llmCalls: number; llmTasks: string[] };
  /** LLM tasks that failed (an error, a timeout, an answer that failed validation twice). */
  llmFailures?: string[];
  /** The budget's admission of this track (interactive requests on the API), while it runs. */
  admission?: Extract<BudgetAdmission, { admitted: true }>;
  /** How long until the budget could serve this track, when it was refused. */
  budgetWaitMs?: number;
  /** What the answer will lack that its mode promises, and why: the descriptions, after a match. */
  pending?: { descriptions: "upstream" | "deadline" };
}

/** A stage returns a result, or null to let the next stage try, with the reason. */
export type StageOutcome = { result: TrackMetadata } | ({ result: null } & Reason);

/** A stage of the fallback chain. */
export interface Stage {
  readonly name: "discogs" | "llm" | "simple";
  /** Why the stage cannot run for this request, or null when it can. */
  skipReason(ctx: StageContext): Reason | null;
  run(ctx: StageContext): Promise<StageOutcome>;
}

/** The last resort; it never fails. */
export const SIMPLE_STAGE: Stage = {
  name: "simple",
  skipReason: () => null,
  run: async (ctx) => ({ result: simpleExtraction(ctx.query, ctx.mode) }),
};

function record(
  ctx: StageContext,
  stage: string,
  outcome: StageRecord["outcome"],
  why: Reason | null,
  t0: number,
): StageRecord {
  const now = ctx.deps.now ?? Date.now;
  return {
    stage,
    outcome,
    code: why?.code ?? null,
    reason: why?.reason ?? null,
    ms: Math.max(0, now() - t0),
  };
}

/** Runs the stages in order until one answers. The simple stage always does. */
export async function runStages(ctx: StageContext, stages: readonly Stage[], records: StageRecord[]) {
  const now = ctx.deps.now ?? Date.now;
  for (const stage of stages) {
    const t0 = now();
    const last = stage.name === "simple";
    const skip = last ? null : ctx.signal.aborted ? DEADLINE_REACHED : stage.skipReason(ctx);
    if (skip) {
      records.push(record(ctx, stage.name, "skipped", skip, t0));
      continue;
    }
    try {
      const out = await stage.run(ctx);
      if (out.result) {
        records.push(record(ctx, stage.name, "hit", null, t0));
        return out.result;
      }
      records.push(record(ctx, stage.name, "miss", out, t0));
      ctx.deps.observer?.fallback?.(stage.name, out.code);
    } catch (err) {
      const timedOut = ctx.signal.aborted;
      const why: Reason = timedOut ? DEADLINE_REACHED : { code: errorCode(err), reason: describeError(err) };
      records.push(record(ctx, stage.name, timedOut ? "timeout" : "error", why, t0));
      ctx.deps.observer?.fallback?.(stage.name, why.code);
      if (timedOut)
        ctx.warnings.push(
          warning(
            "deadline",
            stage.name,
            `deadline of ${ctx.deps.settings.timeoutMs} ms reached in ${stage.name}`,
          ),
        );
    }
  }
  return simpleExtraction(ctx.query, ctx.mode);
}
