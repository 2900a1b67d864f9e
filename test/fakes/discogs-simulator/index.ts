/**
 * A local HTTP server that imitates the Discogs API over the real dump sample (plus fixtures): real
 * shapes, auth rules, moving-window rate limits with the real headers, injectable faults, and counters.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { masterVersions, search } from "./search.js";
import { type Json, loadStore, type SimulatorStore } from "./store.js";

/** Faults to inject; rates are shares of requests in [0, 1]. */
export interface Faults {
  latencyMs?: number;
  jitterMs?: number;
  /** Share of requests answered 500 or 502. */
  errorRate?: number;
  /** Share of 200 answers whose JSON is cut off. */
  malformedRate?: number;
  /** Pause in the middle of every body, ms. */
  slowBodyMs?: number;
  /** Share of requests whose connection is reset without an answer. */
  resetRate?: number;
}

/** Options of the simulator. */
export interface SimulatorOptions {
  /** Folder of the dump sample; null to load fixtures only. Default: the bundled data/discogs-dump-sample. */
  dumpDir?: string | null;
  /** Extra API-shaped releases: file paths or objects. `_main_release: true` marks a master's main release. */
  fixtures?: (string | Json)[];
  /** Requests per window: authenticated 60, anonymous 25, window 60 s by default. */
  rateLimit?: { authenticated?: number; anonymous?: number; windowMs?: number };
  faults?: Faults;
  /** Seed of the fault dice, for repeatable runs. */
  seed?: number;
  port?: number;
}

/** Counters the tests read. */
export interface SimulatorStats {
  requests: number;
  byEndpoint: Record<string, number>;
  byStatus: Record<string, number>;
  rateLimited: number;
  /** Times (ms since start) of each request that was answered 2xx. */
  okTimes: number[];
  /** Last request headers seen, for asserting what the client sent. */
  lastHeaders: Record<string, string | string[] | undefined>;
}

/** A running simulator. */
export interface DiscogsSimulator {
  url: string;
  store: SimulatorStore;
  stats(): SimulatorStats;
  resetStats(): void;
  setFaults(faults: Faults): void;
  close(): Promise<void>;
}

/** The CC0 dump sample shipped in the repository. */
export const DEFAULT_DUMP_DIR = resolve(
  process.env.DISCOGS_DUMP_DIR ?? resolve(import.meta.dirname, "../../../data/discogs-dump-sample"),
);

/** A small seeded PRNG (mulberry32), so fault runs repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The bytes every image route answers with: a real 96 x 96 JPEG made by ffmpeg. */
const COVER_JPEG = readFileSync(resolve(import.meta.dirname, "../../fixtures/images/cover.jpg"));

/**
 * A release body with its images served here: the dumps blank image addresses and the real ones are on
 * i.discogs.com, so every image points at this simulator's own image route.
 */
function withLocalImages(release: Json, base: string): Json {
  const images = release.images as Json[] | undefined;
  if (!images?.length) return release;
  const id = release.id as number;
  return {
    ...release,
    images: images.map((img, k) => {
      const uri = `${base}/images/release/${id}/${k}.jpeg`;
      return { ...img, uri, resource_url: uri, uri150: uri };
    }),
    thumb: `${base}/images/release/${id}/0.jpeg`,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function endpointOf(path: string): string {
  if (path === "/database/search") return "search";
  if (/^\/releases\/\d+$/.test(path)) return "release";
  if (/^\/masters\/\d+$/.test(path)) return "master";
  if (/^\/masters\/\d+\/versions$/.test(path)) return "master-versions";
  if (/^\/images\/release\/\d+\/\d+\.jpeg$/.test(path)) return "image";
  return "other";
}

/** Starts the simulator on 127.0.0.1 (a free port unless given). */
export async function startDiscogsSimulator(options: SimulatorOptions = {}): Promise<DiscogsSimulator> {
  const store = await loadStore({
    dumpDir: options.dumpDir === undefined ? DEFAULT_DUMP_DIR : options.dumpDir,
    fixtures: options.fixtures ?? [],
  });
  const windowMs = options.rateLimit?.windowMs ?? 60_000;
  const limits = { auth: options.rateLimit?.authenticated ?? 60, anon: options.rateLimit?.anonymous ?? 25 };
  let faults: Faults = options.faults ?? {};
  const random = seededRandom(options.seed ?? 42);
  const windows = new Map<string, number[]>();
  const t0 = Date.now();
  let stats: SimulatorStats;
  const resetStats = () => {
    stats = { requests: 0, byEndpoint: {}, byStatus: {}, rateLimited: 0, okTimes: [], lastHeaders: {} };
  };
  resetStats();

  /** Counts an answer in the stats the tests read. */
  const count = (endpoint: string, status: number) => {
    const key = `${endpoint} ${status}`;
    stats.byEndpoint[key] = (stats.byEndpoint[key] ?? 0) + 1;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (status < 300) stats.okTimes.push(Date.now() - t0);
  };

  const send = async (
    res: ServerResponse,
    status: number,
    body: Json,
    endpoint: string,
    headers: Record<string, string>,
  ) => {
    count(endpoint, status);
    let text = JSON.stringify(body);
    if (status === 200 && faults.malformedRate && random() < faults.malformedRate)
      text = text.slice(0, Math.floor(text.length / 2));
    res.writeHead(status, { "content-type": "application/json", ...headers });
    if (faults.slowBodyMs) {
      const half = Math.floor(text.length / 2);
      res.write(text.slice(0, half));
      await sleep(faults.slowBodyMs);
      if (!res.destroyed) res.end(text.slice(half));
    } else {
      res.end(text);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const endpoint = endpointOf(url.pathname);
    stats.requests++;
    stats.lastHeaders = { ...req.headers };
    if (faults.latencyMs || faults.jitterMs) {
      const j = faults.jitterMs ?? 0;
      await sleep(Math.max(0, (faults.latencyMs ?? 0) + (random() * 2 - 1) * j));
    }
    if (faults.resetRate && random() < faults.resetRate) {
      req.socket.destroy();
      return;
    }
    const auth = req.headers.authorization ?? "";
    const token = /^Discogs token=(\S+)$/.exec(auth)?.[1];
    // Rate limit: a moving window per token, or per address without one.
    const who = token ?? req.socket.remoteAddress ?? "anon";
    const limit = token ? limits.auth : limits.anon;
    const now = Date.now();
    const times = (windows.get(who) ?? []).filter((t) => t > now - windowMs);
    windows.set(who, times);
    const over = times.length >= limit;
    if (!over) times.push(now);
    const headers = {
      "x-discogs-ratelimit": String(limit),
      "x-discogs-ratelimit-used": String(times.length),
      "x-discogs-ratelimit-remaining": String(Math.max(0, limit - times.length)),
    };
    if (over) {
      stats.rateLimited++;
      return send(res, 429, { message: "You are making requests too quickly." }, endpoint, headers);
    }
    if (!req.headers["user-agent"])
      return send(res, 403, { message: "A User-Agent is required." }, endpoint, headers);
    if (faults.errorRate && random() < faults.errorRate) {
      const status = random() < 0.5 ? 500 : 502;
      return send(res, status, { message: "Internal server error." }, endpoint, headers);
    }
    if (req.method !== "GET") return send(res, 405, { message: "Method not allowed." }, endpoint, headers);
    const id = Number(url.pathname.split("/")[2]);
    switch (endpoint) {
      case "search": {
        if (!token)
          return send(
            res,
            401,
            { message: "You must authenticate to access this resource." },
            endpoint,
            headers,
          );
        const base = `http://${req.headers.host ?? "localhost"}`;
        return send(res, 200, search(store, url.searchParams, base), endpoint, headers);
      }
      case "release": {
        const r = store.releases.get(id);
        return r
          ? send(res, 200, withLocalImages(r, `http://${req.headers.host ?? "localhost"}`), endpoint, headers)
          : send(res, 404, { message: "Release not found." }, endpoint, headers);
      }
      case "master": {
        const m = store.masters.get(id);
        return m
          ? send(res, 200, m, endpoint, headers)
          : send(res, 404, { message: "Master Release not found." }, endpoint, headers);
      }
      case "master-versions": {
        const v = masterVersions(store, id, url.searchParams);
        return v
          ? send(res, 200, v, endpoint, headers)
          : send(res, 404, { message: "Master Release not found." }, endpoint, headers);
      }
      case "image": {
        // Images are served without a token (as i.discogs.com does) but count towards the same window.
        const rid = Number(url.pathname.split("/")[3]);
        const k = Number(url.pathname.split("/")[4]!.replace(".jpeg", ""));
        const images = store.releases.get(rid)?.images as unknown[] | undefined;
        if (!images || k >= images.length)
          return send(res, 404, { message: "Image not found." }, endpoint, headers);
        count(endpoint, 200);
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": COVER_JPEG.length, ...headers });
        res.end(COVER_JPEG);
        return;
      }
      default:
        return send(res, 404, { message: "The requested resource was not found." }, endpoint, headers);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end('{"message":"simulator failure"}');
    });
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    stats: () => stats,
    resetStats,
    setFaults: (f) => {
      faults = f;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
