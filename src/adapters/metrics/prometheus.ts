/**
 * Metrics over prom-client: stage latency, cache hits and misses, Discogs calls by endpoint and status,
 * LLM calls by task, fallbacks by reason, HTTP request latency. One registry per container.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PipelineObserver } from "../../core/pipeline/resolve.js";

/** The metrics a container exposes. */
export interface Metrics {
  registry: Registry;
  observer: PipelineObserver;
  /** Records one HTTP request. */
  http(route: string, method: string, status: number, seconds: number): void;
  /** Reads Discogs counters ("search 200" -> n) at scrape time. */
  setDiscogsCounters(read: () => Record<string, number>): void;
  /** Reads the Discogs budget and circuit at scrape time. */
  setDiscogsState(read: () => { budgetWaitMs: number; circuit: "closed" | "open" | "half-open" }): void;
}

/** Creates the registry and its instruments. */
export function createMetrics(): Metrics {
  const registry = new Registry();
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
  const fallback = new Counter({
    name: "discmeta_fallbacks_total",
    help: "Stages that fell through, by reason",
    labelNames: ["reason"],
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
  let readState: () => { budgetWaitMs: number; circuit: string } = () => ({
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
    name: "discmeta_discogs_budget_wait_seconds",
    help: "How long a new Discogs request would wait for the rate-limit budget",
    registers: [registry],
    collect() {
      this.set(readState().budgetWaitMs / 1000);
    },
  });
  // Reasons carry numbers ("low confidence 0.55 < 0.7"): keep the words, so label values stay few.
  const reasonLabel = (r: string) =>
    r
      .replace(/[\d.]+/g, "")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 80);
  return {
    registry,
    observer: {
      stage: (rec, mode) => stage.observe({ stage: rec.stage, outcome: rec.outcome, mode }, rec.ms / 1000),
      cache: (outcome) => cache.inc({ outcome }),
      fallback: (reason) => fallback.inc({ reason: reasonLabel(reason) }),
      llm: (task, outcome) => llm.inc({ task, outcome }),
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
