/**
 * Metrics over prom-client, one registry per container: the process's own (CPU, memory, event-loop lag,
 * handles), build info, stage latency, cache hits and misses, Discogs requests (count, latency,
 * rate-limit wait, remaining budget), LLM calls (latency, tokens), answers by source and recommendation,
 * warnings and fallbacks by bounded code, HTTP latency. Every label value is from a bounded set.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PipelineObserver } from "../../core/pipeline/deps.js";

/** One finished Discogs request, as the Discogs client reports it (the container passes it on). */
export interface DiscogsRequestObservation {
  endpoint: string;
  status: number | "network";
  ms: number;
  waitMs: number;
  remaining?: number;
}

/** What the build-info metric reports. */
export interface BuildInfo {
  version: string;
}

/** The metrics a container exposes. */
export interface Metrics {
  registry: Registry;
  observer: PipelineObserver;
  /** Records one HTTP request. */
  http(route: string, method: string, status: number, seconds: number): void;
  /** Records one Discogs request (latency, budget wait, remaining budget). */
  discogsRequest(event: DiscogsRequestObservation): void;
  /** Reads Discogs counters ("search 200" -> n) at scrape time. */
  setDiscogsCounters(read: () => Record<string, number>): void;
  /** Reads the Discogs budget and circuit at scrape time. */
  setDiscogsState(
    read: () => { budgetWaitMs: number; circuit: "closed" | "open" | "half-open"; budgetLocal?: boolean },
  ): void;
}

/** Creates the registry and its instruments. */
export function createMetrics(build: BuildInfo = { version: "unknown" }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "discmeta_build_info",
    help: "Always 1; the labels say which build and runtime answer",
    labelNames: ["version", "node"],
    registers: [registry],
  }).set({ version: build.version, node: process.version }, 1);
  const stage = new Histogram({
    name: "discmeta_stage_duration_seconds",
    help: "Time spent in each pipeline stage, by outcome and mode",
    labelNames: ["stage", "outcome", "mode"],
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
    registers: [registry],
  });
  const cache = new Counter({
    name: "discmeta_cache_total",
    help: "Cache lookups by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const llm = new Counter({
    name: "discmeta_llm_calls_total",
    help: "LLM calls by task and outcome",
    labelNames: ["task", "outcome"],
    registers: [registry],
  });
  const llmLatency = new Histogram({
    name: "discmeta_llm_request_duration_seconds",
    help: "LLM call latency (retries and the repair included), by task and outcome",
    labelNames: ["task", "outcome"],
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  });
  const llmTokens = new Counter({
    name: "discmeta_llm_tokens_total",
    help: "LLM tokens by task and direction (input, output)",
    labelNames: ["task", "direction"],
    registers: [registry],
  });
  const fallback = new Counter({
    name: "discmeta_fallbacks_total",
    help: "Stages that fell through to the next, by stage and reason code",
    labelNames: ["stage", "reason"],
    registers: [registry],
  });
  const results = new Counter({
    name: "discmeta_results_total",
    help: "Answers by source (discogs, llm, simple), recommendation (none without a match) and cache",
    labelNames: ["source", "recommendation", "cached"],
    registers: [registry],
  });
  const warnings = new Counter({
    name: "discmeta_warnings_total",
    help: "Warnings on answers, by code",
    labelNames: ["code"],
    registers: [registry],
  });
  const degraded = new Counter({
    name: "discmeta_degraded_total",
    help: "Answers cut short (never cached), by reason",
    labelNames: ["reason"],
    registers: [registry],
  });
  const discogsLatency = new Histogram({
    name: "discmeta_discogs_request_duration_seconds",
    help: "Discogs request latency (one attempt, from sending to the headers), by endpoint and status",
    labelNames: ["endpoint", "status"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const discogsWait = new Histogram({
    name: "discmeta_discogs_rate_limit_wait_seconds",
    help: "How long each Discogs request waited for the rate-limit budget before it was sent",
    buckets: [0, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const discogsRemaining = new Gauge({
    name: "discmeta_discogs_rate_limit_remaining",
    help: "Requests left in Discogs' moving window, as its last response said (X-Discogs-Ratelimit-Remaining)",
    registers: [registry],
  });
  const http = new Histogram({
    name: "discmeta_http_request_duration_seconds",
    help: "HTTP request latency by route, method and status",
    labelNames: ["route", "method", "status"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  let readDiscogs: () => Record<string, number> = () => ({});
  new Counter({
    name: "discmeta_discogs_requests_total",
    help: "Discogs HTTP requests by endpoint and status",
    labelNames: ["endpoint", "status"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of Object.entries(readDiscogs())) {
        const [endpoint, status] = key.split(" ");
        this.inc({ endpoint: endpoint ?? "", status: status ?? "" }, n);
      }
    },
  });
  let readState: () => { budgetWaitMs: number; circuit: string; budgetLocal?: boolean } = () => ({
    budgetWaitMs: 0,
    circuit: "closed",
  });
  new Gauge({
    name: "discmeta_discogs_circuit_open",
    help: "1 while the Discogs circuit breaker is open, 0.5 half-open (probing), 0 closed",
    registers: [registry],
    collect() {
      const c = readState().circuit;
      this.set(c === "open" ? 1 : c === "half-open" ? 0.5 : 0);
    },
  });
  new Gauge({
    name: "discmeta_discogs_budget_local_share",
    help: "1 while the shared Discogs budget's Redis is unreachable and this process runs on its local share",
    registers: [registry],
    collect() {
      this.set(readState().budgetLocal ? 1 : 0);
    },
  });
  new Gauge({
    name: "discmeta_discogs_budget_wait_seconds",
    help: "How long a new Discogs request would wait for the rate-limit budget",
    registers: [registry],
    collect() {
      this.set(readState().budgetWaitMs / 1000);
    },
  });
  return {
    registry,
    observer: {
      stage: (rec, mode) => stage.observe({ stage: rec.stage, outcome: rec.outcome, mode }, rec.ms / 1000),
      cache: (outcome) => cache.inc({ outcome }),
      fallback: (stage, code) => fallback.inc({ stage, reason: code }),
      llm: (task, outcome, usage) => {
        llm.inc({ task, outcome });
        llmLatency.observe({ task, outcome }, usage.seconds);
        if (usage.inputTokens) llmTokens.inc({ task, direction: "input" }, usage.inputTokens);
        if (usage.outputTokens) llmTokens.inc({ task, direction: "output" }, usage.outputTokens);
      },
      result: (r) => {
        results.inc({
          source: r.source,
          recommendation: r.match?.recommendation ?? "none",
          cached: String(r.cached),
        });
        for (const w of r.warnings) warnings.inc({ code: w.code });
        if (r.degraded) degraded.inc({ reason: r.degraded.reason });
      },
    },
    discogsRequest: (e) => {
      discogsLatency.observe({ endpoint: e.endpoint, status: String(e.status) }, e.ms / 1000);
      discogsWait.observe(e.waitMs / 1000);
      if (e.remaining !== undefined) discogsRemaining.set(e.remaining);
    },
    http: (route, method, status, seconds) =>
      http.observe({ route, method, status: String(status) }, seconds),
    setDiscogsCounters: (read) => {
      readDiscogs = read;
    },
    setDiscogsState: (read) => {
      readState = read;
    },
  };
}
