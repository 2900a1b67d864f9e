/**
 * The evaluation harness: runs the labelled set through the real pipeline (fast mode, no LLM) against the
 * Discogs simulator with distractors, and through a naive baseline (first hit of q="artist title").
 * Prints markdown tables for docs/benchmarks.md and writes bench/out/eval.json.
 *
 *   npm run eval                  accuracy, requests, calibration (simulator without latency)
 *   npm run eval -- --latency     also p50/p95 on a subset with 150 ms ± 50 ms simulator latency
 *   npm run eval -- --limit 200   a quick run on the first 200 cases of each family
 *   npm run eval -- --index       also the offline index side by side with the API (accuracy, tracks/s)
 *   npm run eval -- --llm         also balanced and accurate modes with the fake Gemini server picking the
 *                                 scorer's top candidate: LLM calls per track (mean and max) and accuracy
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "../../src/adapters/discogs/index/build.js";
import { openIndexSource } from "../../src/adapters/discogs/index/source.js";
import { createWindowLimiter } from "../../src/adapters/discogs/rate-limit.js";
import { createDiscogsSource } from "../../src/adapters/discogs/source.js";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { extractTrack } from "../../src/core/extract.js";
import type { MetadataSource } from "../../src/core/ports.js";
import type { TrackMetadata } from "../../src/core/schema.js";
import type { Mode } from "../../src/core/types.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../../test/fakes/discogs-simulator/index.js";
import { startFakeLlm } from "../../test/fakes/llm/index.js";
import { buildEvalSet, type EvalCase } from "./dataset.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DUMP_DIR = resolve(process.env.DISCOGS_DUMP_DIR ?? resolve(ROOT, "data/discogs-dump-sample"));
const FIXTURES = [
  resolve(ROOT, "test/fixtures/discogs/distractors.json"),
  resolve(ROOT, "test/fixtures/discogs/t-fire.json"),
];
const DISTRACTOR_FLOOR = 950_000_000;

/** What one case gave. */
export interface CaseResult {
  family: EvalCase["family"];
  filename: string;
  answered: boolean;
  releaseId: number | null;
  exact: boolean;
  master: boolean;
  original: boolean;
  recommendation: string | null;
  distance: number | null;
  confidence: number;
  /** Catalogue calls (API requests or index lookups). */
  requests: number;
  /** Discogs API requests alone (0 for what the index answers). */
  apiRequests?: number;
  llmCalls: number;
  ms: number;
}

async function pool<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function judge(c: EvalCase, releaseId: number | null, masterId: number | null) {
  const exact = releaseId === c.expected.releaseId;
  const master = exact || (c.expected.masterId !== null && masterId === c.expected.masterId);
  return { exact, master, original: master && releaseId !== null && releaseId < DISTRACTOR_FLOOR };
}

/**
 * The evaluation's container: the pipeline over the simulator with no rate limit, no cache, no LLM
 * fallback and no deadline (or over another catalogue, such as the offline index).
 */
export function evalContainer(
  sim: DiscogsSimulator,
  env: Record<string, string>,
  catalogue?: MetadataSource,
) {
  const config = loadConfig({
    DISCOGS_API_URL: sim.url,
    DISCOGS_USER_TOKEN: "eval",
    METADATA_MODE: "fast",
    METADATA_USE_LLM_FALLBACK: "false",
    METADATA_CACHE_ENABLED: "false",
    METADATA_TIMEOUT_MS: "0",
    ...env,
  });
  if (catalogue) return createContainer(config, { source: catalogue, sourceKind: "index", cache: null });
  const source = createDiscogsSource({
    baseUrl: sim.url,
    token: "eval",
    userAgent: "discmeta-eval/1",
    limiter: createWindowLimiter({ limit: 1e9 }),
  });
  return createContainer(config, { source, cache: null });
}

/** Runs the pipeline on every case, with minimum confidence 0 so that calibration sees every answer. */
export async function runPipeline(
  sim: DiscogsSimulator,
  cases: EvalCase[],
  concurrency: number,
  mode: Mode = "fast",
  llmBaseUrl?: string,
  catalogue?: MetadataSource & { kind?: string },
): Promise<(CaseResult & { raw: TrackMetadata })[]> {
  const container = evalContainer(
    sim,
    {
      METADATA_MODE: mode,
      ...(llmBaseUrl ? { GEMINI_API_KEY: "eval", GEMINI_BASE_URL: llmBaseUrl } : {}),
      DISCOGS_MIN_CONFIDENCE: "0",
    },
    catalogue,
  );
  return pool(cases, concurrency, async (c) => {
    const t0 = performance.now();
    const r = await container.resolve({ filename: c.filename, tags: c.tags, mode });
    const ms = performance.now() - t0;
    const answered = r.source === "discogs";
    const j = judge(c, r.discogs?.releaseId ?? null, r.discogs?.masterId ?? null);
    return {
      family: c.family,
      filename: c.filename,
      answered,
      releaseId: r.discogs?.releaseId ?? null,
      ...j,
      recommendation: r.match?.recommendation ?? null,
      distance: r.match?.distance ?? null,
      confidence: r.confidence,
      requests: r.diagnostics.discogsRequests + r.diagnostics.indexLookups,
      apiRequests: r.diagnostics.discogsRequests,
      llmCalls: r.diagnostics.llmCalls,
      ms,
      raw: r,
    };
  });
}

/** The naive baseline: first hit of q="artist title", a master's main release when the hit is a master. */
export async function runBaseline(
  sim: DiscogsSimulator,
  cases: EvalCase[],
  concurrency: number,
): Promise<CaseResult[]> {
  const source = createDiscogsSource({
    baseUrl: sim.url,
    token: "eval",
    userAgent: "discmeta-eval/1",
    limiter: createWindowLimiter({ limit: 1e9 }),
  });
  return pool(cases, concurrency, async (c) => {
    const t0 = performance.now();
    const q = extractTrack({ filename: c.filename, tags: c.tags });
    let releaseId: number | null = null;
    let masterId: number | null = null;
    let requests = 0;
    const text = [q.artist, q.title].filter(Boolean).join(" ");
    if (text) {
      requests++;
      const hit = (await source.search({ q: text, per_page: 5 }))[0];
      if (hit?.kind === "master") {
        requests++;
        const m = await source.getMaster(hit.id);
        releaseId = m.mainReleaseId;
        masterId = m.id;
      } else if (hit) {
        releaseId = hit.id;
        masterId = hit.masterId;
      }
    }
    return {
      family: c.family,
      filename: c.filename,
      answered: releaseId !== null,
      releaseId,
      ...judge(c, releaseId, masterId),
      recommendation: null,
      distance: null,
      confidence: releaseId ? 1 : 0,
      requests,
      llmCalls: 0,
      ms: performance.now() - t0,
    };
  });
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : 0;
}

/** Summary of one family, with answers below `minConfidence` counted as misses. */
export function summarize(results: CaseResult[], minConfidence: number) {
  const n = results.length;
  const kept = results.map((r) =>
    r.answered && r.confidence >= minConfidence
      ? r
      : { ...r, answered: false, exact: false, master: false, original: false },
  );
  const answered = kept.filter((r) => r.answered);
  const strong = answered.filter((r) => r.recommendation === "strong");
  const masterOk = answered.filter((r) => r.master);
  return {
    cases: n,
    coverage: answered.length / n,
    exact: answered.filter((r) => r.exact).length / n,
    master: masterOk.length / n,
    precision: answered.length ? masterOk.length / answered.length : 0,
    wrong: answered.filter((r) => !r.master).length / n,
    strong: strong.length,
    wrongAtStrong: strong.length ? strong.filter((r) => !r.master).length / strong.length : 0,
    original: masterOk.length ? masterOk.filter((r) => r.original).length / masterOk.length : 0,
    requests: results.reduce((s, r) => s + r.requests, 0) / Math.max(1, n),
    llmCalls: results.reduce((s, r) => s + r.llmCalls, 0) / Math.max(1, n),
    llmMax: results.reduce((m, r) => Math.max(m, r.llmCalls), 0),
    p50: quantile(
      results.map((r) => r.ms),
      0.5,
    ),
    p95: quantile(
      results.map((r) => r.ms),
      0.95,
    ),
  };
}

function table(title: string, rows: [string, ReturnType<typeof summarize>][], latency: boolean): string {
  const head = `| family | cases | coverage | exact release | master level | precision | wrong | wrong at strong | original | requests/track${latency ? " | p50 ms | p95 ms" : ""} |`;
  const sep = `|${"---|".repeat(latency ? 12 : 10)}`;
  const lines = rows.map(
    ([name, s]) =>
      `| ${name} | ${s.cases} | ${pct(s.coverage)} | ${pct(s.exact)} | ${pct(s.master)} | ${pct(s.precision)} | ${pct(s.wrong)} | ${s.strong ? `${pct(s.wrongAtStrong)} of ${s.strong}` : "-"} | ${pct(s.original)} | ${s.requests.toFixed(2)}${latency ? ` | ${s.p50.toFixed(0)} | ${s.p95.toFixed(0)}` : ""} |`,
  );
  return `### ${title}\n\n${head}\n${sep}\n${lines.join("\n")}\n`;
}

/** Accuracy by distance bucket: the measurement behind the policy's thresholds and confidence curve. */
function calibration(results: CaseResult[]): string {
  const edges = [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1.01];
  const rows: string[] = [];
  for (let i = 1; i < edges.length; i++) {
    const inBucket = results.filter(
      (r) => r.answered && r.distance !== null && r.distance >= edges[i - 1]! && r.distance < edges[i]!,
    );
    if (inBucket.length === 0) continue;
    const ok = inBucket.filter((r) => r.master).length;
    const conf = inBucket.reduce((s, r) => s + r.confidence, 0) / inBucket.length;
    rows.push(
      `| ${edges[i - 1]!.toFixed(2)}–${Math.min(1, edges[i]!).toFixed(2)} | ${inBucket.length} | ${pct(ok / inBucket.length)} | ${conf.toFixed(3)} |`,
    );
  }
  return `### Calibration (all families, every Stage 2 answer)\n\n| distance | answers | master-level correct | mean confidence |\n|---|---|---|---|\n${rows.join("\n")}\n`;
}

/** Precision per recommendation: what each verdict is worth, and how many clear the 0.7 threshold. */
function byRecommendation(results: CaseResult[]): string {
  const rows = (["strong", "medium", "low", "none"] as const).map((rec) => {
    const list = results.filter((r) => r.answered && r.recommendation === rec);
    const ok = list.filter((r) => r.master).length;
    const kept = list.filter((r) => r.confidence >= 0.7);
    const keptOk = kept.filter((r) => r.master).length;
    const conf = list.reduce((s, r) => s + r.confidence, 0) / Math.max(1, list.length);
    return `| ${rec} | ${list.length} | ${list.length ? pct(ok / list.length) : "-"} | ${conf.toFixed(3)} | ${kept.length} | ${kept.length ? pct(keptOk / kept.length) : "-"} |`;
  });
  return `### Precision per recommendation (all families, every Stage 2 answer)\n\n| recommendation | answers | master-level correct | mean confidence | confidence ≥ 0.7 | correct among those |\n|---|---|---|---|---|---|\n${rows.join("\n")}\n`;
}

/** Balanced and accurate modes against the fake Gemini server answering "the scorer's top candidate". */
async function llmModes(
  sim: DiscogsSimulator,
  cases: EvalCase[],
  concurrency: number,
  minConfidence: number,
) {
  const llm = await startFakeLlm("gemini", "pick-top");
  const rows: string[] = [];
  try {
    for (const mode of ["balanced", "accurate"] as const) {
      const results = await runPipeline(sim, cases, concurrency, mode, llm.baseUrl);
      for (const f of ["tagged", "messy", "youtube"] as const) {
        const s = summarize(
          results.filter((r) => r.family === f),
          minConfidence,
        );
        rows.push(
          `| ${mode} | ${f} | ${s.cases} | ${pct(s.master)} | ${pct(s.wrong)} | ${s.requests.toFixed(2)} | ${s.llmCalls.toFixed(2)} | ${s.llmMax} |`,
        );
      }
      const all = summarize(results, minConfidence);
      rows.push(
        `| ${mode} | all | ${all.cases} | ${pct(all.master)} | ${pct(all.wrong)} | ${all.requests.toFixed(2)} | ${all.llmCalls.toFixed(2)} | ${all.llmMax} |`,
      );
    }
  } finally {
    await llm.close();
  }
  return `### LLM modes with the fake Gemini server ("pick the scorer's top candidate")\n\n| mode | family | cases | master level | wrong | Discogs requests/track | LLM calls/track | LLM calls max |\n|---|---|---|---|---|---|---|---|\n${rows.join("\n")}\n`;
}

/**
 * The offline index against the API, side by side: the same cases, the same fixtures (built into the
 * index as extra releases), fast mode. YouTube names are matched twice through the index: by title only
 * (the id replaced), which is matching, and with their video ids, which is a lookup.
 */
async function indexSideBySide(
  sim: DiscogsSimulator,
  cases: EvalCase[],
  api: CaseResult[],
  concurrency: number,
  minConfidence: number,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "discmeta-eval-"));
  const extraReleases = FIXTURES.flatMap((f) => {
    const list = JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown> | Record<string, unknown>[];
    return Array.isArray(list) ? list : [list];
  });
  const built = await buildIndex({
    releases: resolve(DUMP_DIR, "releases.xml.gz"),
    masters: resolve(DUMP_DIR, "masters.xml.gz"),
    out: join(dir, "eval.sqlite"),
    extraReleases,
  });
  const index = openIndexSource(built.out);
  try {
    const titleOnly = cases.map((c) =>
      c.family === "youtube"
        ? { ...c, filename: c.filename.replace(/\[[\w-]{11}\]\.opus$/, "[xxxxxxxxxxx].opus") }
        : c,
    );
    const t0 = performance.now();
    const results = await runPipeline(sim, titleOnly, concurrency, "fast", undefined, index);
    const secs = (performance.now() - t0) / 1000;
    const youtube = cases.filter((c) => c.family === "youtube");
    const t1 = performance.now();
    const byId = await runPipeline(sim, youtube, concurrency, "fast", undefined, index);
    const idSecs = (performance.now() - t1) / 1000;
    const rows: string[] = [];
    const row = (name: string, a: CaseResult[] | null, b: CaseResult[], rate: number) => {
      const sa = a ? summarize(a, minConfidence) : null;
      const sb = summarize(b, minConfidence);
      const apiReq = b.reduce((n, r) => n + (r.apiRequests ?? 0), 0) / Math.max(1, b.length);
      rows.push(
        `| ${name} | ${sa ? pct(sa.master) : "-"} | ${pct(sb.master)} | ${sa ? pct(sa.wrong) : "-"} | ${pct(sb.wrong)} | ${sa ? sa.requests.toFixed(2) : "-"} | ${apiReq.toFixed(2)} | ${sb.requests.toFixed(2)} | ${rate.toFixed(0)} |`,
      );
    };
    const rate = results.length / secs;
    for (const f of ["tagged", "messy", "youtube"] as const) {
      row(
        f === "youtube" ? "youtube (title only)" : f,
        api.filter((r) => r.family === f),
        results.filter((r) => r.family === f),
        rate,
      );
    }
    row("youtube (video id lookup)", null, byId, byId.length / idSecs);
    return `### Offline index vs the API (fast mode, ${built.releases} releases, ${new Date().toISOString().slice(0, 10)})\n\n| family | API master level | index master level | API wrong | index wrong | API requests/track | index: API requests/track | index lookups/track | index tracks/s |\n|---|---|---|---|---|---|---|---|---|\n${rows.join("\n")}\n`;
  } finally {
    index.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      latency: { type: "boolean", default: false },
      llm: { type: "boolean", default: false },
      limit: { type: "string" },
      concurrency: { type: "string", default: "16" },
      "min-confidence": { type: "string", default: "0.7" },
      index: { type: "boolean", default: false },
    },
  });
  const limit = values.limit ? Number(values.limit) : Number.POSITIVE_INFINITY;
  const minConfidence = Number(values["min-confidence"]);
  const all = await buildEvalSet(resolve(DUMP_DIR, "releases.xml.gz"));
  const families = ["tagged", "messy", "youtube"] as const;
  const cases = families.flatMap((f) => all.filter((c) => c.family === f).slice(0, limit));
  const sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: FIXTURES,
    rateLimit: { authenticated: 1e9, anonymous: 1e9 },
  });
  const concurrency = Number(values.concurrency);
  const out: string[] = [
    `Evaluation of ${cases.length} cases on ${new Date().toISOString().slice(0, 10)}, simulator with ${sim.store.releases.size} releases (dump sample + ${FIXTURES.length} fixture files).\n`,
  ];
  try {
    const ours = await runPipeline(sim, cases, concurrency);
    const base = await runBaseline(sim, cases, concurrency);
    out.push(
      table(
        "discmeta, fast mode (no LLM)",
        families.map((f) => [
          f,
          summarize(
            ours.filter((r) => r.family === f),
            minConfidence,
          ),
        ]),
        false,
      ),
    );
    out.push(
      table(
        'Naive baseline: first hit of q="artist title"',
        families.map((f) => [
          f,
          summarize(
            base.filter((r) => r.family === f),
            0,
          ),
        ]),
        false,
      ),
    );
    out.push(calibration(ours));
    out.push(byRecommendation(ours));
    if (values.latency) {
      sim.setFaults({ latencyMs: 150, jitterMs: 50 });
      const subset = families.flatMap((f) =>
        cases
          .filter((c) => c.family === f)
          .filter((_c, i) => i % 5 === 0)
          .slice(0, 200),
      );
      const timed = await runPipeline(sim, subset, concurrency);
      out.push(
        table(
          "Latency with simulator at 150 ms ± 50 ms (subset)",
          families.map((f) => [
            f,
            summarize(
              timed.filter((r) => r.family === f),
              minConfidence,
            ),
          ]),
          true,
        ),
      );
    }
    if (values.llm) out.push(await llmModes(sim, cases, concurrency, minConfidence));
    if (values.index) out.push(await indexSideBySide(sim, cases, ours, concurrency, minConfidence));
    await mkdir(resolve(ROOT, "bench/out"), { recursive: true });
    await writeFile(
      resolve(ROOT, "bench/out/eval.json"),
      JSON.stringify(
        ours.map(({ raw, ...r }) => ({ ...r, artist: raw.artist, title: raw.title })),
        null,
        1,
      ),
    );
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await sim.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
