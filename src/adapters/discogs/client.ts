/**
 * The Discogs HTTP client: auth, User-Agent, rate limiting, retries with full jitter, timeouts, a per-call
 * deadline, single-flight for identical GETs, zod validation of every body, and request counters.
 */
import type { z } from "zod";
import { AbortedError, UpstreamError } from "../../core/errors.js";
import { DiscogsAuthError, DiscogsNotFoundError, DiscogsRateLimitError } from "./errors.js";
import type { SearchParams } from "./ladder.js";
import {
  createWindowLimiter,
  type RateLimiter,
  REAL_TIMING,
  readRateLimitHeaders,
  type Timing,
} from "./rate-limit.js";
import { RawMaster, RawMasterVersions, RawRelease, RawSearch } from "./types.js";

/** Options of the client. Every side effect is injectable. */
export interface DiscogsClientOptions {
  /** Base URL, e.g. https://api.discogs.com (DISCOGS_API_URL). */
  baseUrl: string;
  /** Personal access token; without one, search is refused and the limit is 25/min. */
  token?: string | undefined;
  /** Descriptive User-Agent, required by Discogs. */
  userAgent: string;
  fetch?: typeof fetch;
  limiter?: RateLimiter;
  timing?: Timing;
  /** Timeout of one HTTP attempt, ms. Default 10 000. */
  requestTimeoutMs?: number;
  /** Overall deadline of one call, retries included, ms; 0 for none (batch work waits). Default 30 000. */
  deadlineMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Base delay of the exponential backoff, ms. Default 500. */
  backoffBaseMs?: number;
  /** Random source in [0,1), for jitter. */
  random?: () => number;
  /** Called for every finished attempt; for logs and metrics. Never sees the token. */
  onRequest?: (event: DiscogsRequestEvent) => void;
}

/** One finished attempt. */
export interface DiscogsRequestEvent {
  endpoint: string;
  status: number | "network";
  /** From sending to the response's headers (or the failure). */
  ms: number;
  attempt: number;
  /** How long the attempt waited for the rate-limit budget before it was sent. */
  waitMs: number;
  /** Requests left in the window, as the response's X-Discogs-Ratelimit-Remaining said. */
  remaining?: number;
}

/** The endpoints we count. */
export type DiscogsEndpoint = "search" | "release" | "master" | "master-versions" | "image";

/** An image as fetched: its bytes and MIME type. */
export interface FetchedImage {
  data: Uint8Array;
  mimeType: string;
}

/** The largest image we accept, bytes (Discogs' full-size covers are well under 1 MiB). */
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

/** The typed client. Each call takes an AbortSignal. */
export interface DiscogsClient {
  search(params: SearchParams, signal?: AbortSignal): Promise<RawSearch>;
  getRelease(id: number, signal?: AbortSignal): Promise<RawRelease>;
  getMaster(id: number, signal?: AbortSignal): Promise<RawMaster>;
  getMasterVersions(
    id: number,
    options?: { page?: number; per_page?: number; sort?: string; sort_order?: "asc" | "desc" },
    signal?: AbortSignal,
  ): Promise<RawMasterVersions>;
  /**
   * A release image by the address the release body gives, within the same budget. Only Discogs' own
   * hosts (or the configured API host) are fetched, only images, at most MAX_IMAGE_BYTES.
   */
  getImage(url: string, signal?: AbortSignal): Promise<FetchedImage>;
  /** Requests sent, by "endpoint status" (e.g. "search 200"). */
  counters(): Record<string, number>;
  /** Total HTTP requests sent. */
  requestCount(): number;
  /** The budget now: ms a new request would wait, and the requests allowed per window. */
  budget(): { waitMs: number; limit: number };
}

/**
 * Cleans text for Discogs search: strips quotes and the characters its search chokes on, and folds
 * brackets into spaces ("Say A Prayer (Extended Mix)" -> "Say A Prayer Extended Mix").
 */
export function normalizeQueryText(text: string): string {
  return text
    .normalize("NFC")
    .replace(/[\u200b-\u200f\ufeff]/g, "")
    .replace(/["“”„‟«»]/g, " ")
    .replace(/['‘’`´]/g, "")
    .replace(/[()[\]{}<>]/g, " ")
    .replace(/[*?~^:!\\|+=;@#$%&]/g, " ")
    .replace(/\s+-+\s+|^-+|-+$/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

const SEARCH_KEYS: readonly (keyof SearchParams)[] = [
  "q",
  "type",
  "title",
  "release_title",
  "artist",
  "anv",
  "label",
  "genre",
  "style",
  "country",
  "year",
  "format",
  "catno",
  "barcode",
  "track",
  "per_page",
  "page",
];

/** A body that could not be read whole (cut off, malformed): another attempt may succeed. */
class UnreadableBody extends Error {
  constructor(cause: unknown) {
    super("unreadable body", { cause });
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
}

/** Creates the client. Nothing connects until the first call. */
/** The call's deadline struck while a request waited for the rate-limit budget (never sent). */
class BudgetWaitCut extends Error {
  constructor(cause: unknown) {
    super("budget wait cut short", { cause });
  }
}

export function createDiscogsClient(options: DiscogsClientOptions): DiscogsClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timing = options.timing ?? REAL_TIMING;
  const limiter = options.limiter ?? createWindowLimiter({ limit: options.token ? 60 : 25, timing });
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const deadlineMs = options.deadlineMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 4;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const random = options.random ?? Math.random;
  const base = options.baseUrl.replace(/\/+$/, "");
  const counts = new Map<string, number>();
  let total = 0;
  const inflight = new Map<string, Promise<unknown>>();

  const headers: Record<string, string> = { "User-Agent": options.userAgent, Accept: "application/json" };
  if (options.token) headers.Authorization = `Discogs token=${options.token}`;

  const count = (endpoint: DiscogsEndpoint, status: number | "network") => {
    const key = `${endpoint} ${status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
  };

  /** Full-jitter exponential backoff: a random delay in [0, base * 2^attempt], capped. */
  const backoff = (attempt: number, floor = 0) =>
    floor + Math.round(random() * Math.min(backoffBaseMs * 2 ** attempt, 20_000));

  async function attempt(
    endpoint: DiscogsEndpoint,
    url: string,
    signal: AbortSignal,
    n: number,
    sent: Record<string, string> = headers,
    deadlineAt: number | null = null,
  ) {
    const w0 = timing.now();
    // A request the budget cannot serve before the call's deadline is not queued to wait for nothing.
    // (With no wait at all, a call past its deadline is the deadline's doing: the signal says so.)
    if (deadlineAt !== null) {
      const wait = limiter.waitMs(1);
      if (wait > 0 && w0 + wait >= deadlineAt) throw new BudgetWaitCut(null);
    }
    let settle: () => void;
    try {
      settle = await limiter.acquire(signal);
    } catch (err) {
      // The deadline struck while the request waited for the budget: the budget's doing, not Discogs'.
      throw new BudgetWaitCut(err);
    }
    const t0 = timing.now();
    const waitMs = t0 - w0;
    const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]);
    try {
      const res = await doFetch(url, { headers: sent, signal: attemptSignal });
      settle();
      const budget = readRateLimitHeaders(res.headers);
      limiter.update(budget);
      count(endpoint, res.status);
      options.onRequest?.({
        endpoint,
        status: res.status,
        ms: timing.now() - t0,
        attempt: n,
        waitMs,
        ...(budget.remaining !== undefined ? { remaining: budget.remaining } : {}),
      });
      return res;
    } catch (err) {
      settle();
      count(endpoint, "network");
      options.onRequest?.({ endpoint, status: "network", ms: timing.now() - t0, attempt: n, waitMs });
      throw err;
    }
  }

  /**
   * One call: attempts within the budget, retries with backoff on network errors, 429, 5xx and bodies
   * that cannot be read, and clear errors for the rest. `read` turns a 2xx response into the value (it
   * throws UnreadableBody to ask for another attempt). `label` names the resource in messages.
   */
  async function request<T>(
    endpoint: DiscogsEndpoint,
    url: string,
    label: string,
    read: (res: Response) => Promise<T>,
    outer?: AbortSignal,
    sent: Record<string, string> = headers,
  ): Promise<T> {
    const limits = [outer ?? new AbortController().signal];
    if (deadlineMs > 0) limits.push(AbortSignal.timeout(deadlineMs));
    const deadlineAt = deadlineMs > 0 ? timing.now() + deadlineMs : null;
    const signal = AbortSignal.any(limits);
    const what = label ? `${endpoint} ${label}` : endpoint;
    let lastError: Error = new UpstreamError(`discogs: ${endpoint} failed`);
    for (let n = 0; n <= maxRetries; n++) {
      if (signal.aborted) break;
      let res: Response;
      try {
        res = await attempt(endpoint, url, signal, n, sent, deadlineAt);
      } catch (err) {
        if (outer?.aborted) throw new AbortedError(`discogs: ${endpoint} aborted`, { cause: err });
        if (err instanceof BudgetWaitCut) {
          // A retry that the budget cannot fit keeps the error that made us retry: that is the cause.
          if (n === 0 || lastError instanceof DiscogsRateLimitError) {
            lastError = new DiscogsRateLimitError(
              `discogs: ${endpoint} waited for the rate-limit budget until the deadline`,
              { status: 429, cause: err.cause },
            );
          }
          break;
        }
        // The deadline struck while waiting or sending: keep the error that made us wait.
        if (signal.aborted && n > 0) break;
        lastError = new UpstreamError(
          `discogs: ${endpoint} ${isAbort(err) ? "timed out" : `network error: ${(err as Error).message}`}`,
          { cause: err },
        );
        await timing.sleep(backoff(n), signal).catch(() => undefined);
        continue;
      }
      if (res.status === 429) {
        limiter.saturate();
        lastError = new DiscogsRateLimitError(`discogs: ${endpoint} rate limited (429)`, { status: 429 });
        await res.body?.cancel().catch(() => undefined);
        await timing.sleep(backoff(n, 1000), signal).catch(() => undefined);
        continue;
      }
      if (res.status >= 500) {
        lastError = new UpstreamError(`discogs: ${endpoint} answered ${res.status}`, { status: res.status });
        await res.body?.cancel().catch(() => undefined);
        await timing.sleep(backoff(n), signal).catch(() => undefined);
        continue;
      }
      // Only a request that carried our credentials can be refused for them.
      if ((res.status === 401 || res.status === 403) && sent === headers) {
        await res.body?.cancel().catch(() => undefined);
        throw new DiscogsAuthError(
          `discogs: ${endpoint} refused (${res.status}): ${options.token ? "check DISCOGS_USER_TOKEN" : "a token is required"}`,
          { status: res.status },
        );
      }
      if (res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        throw new DiscogsNotFoundError(`discogs: ${what} not found`);
      }
      if (res.status >= 400) {
        await res.body?.cancel().catch(() => undefined);
        throw new UpstreamError(`discogs: ${endpoint} answered ${res.status}`, { status: res.status });
      }
      try {
        return await read(res);
      } catch (err) {
        if (!(err instanceof UnreadableBody)) throw err;
        if (outer?.aborted) throw new AbortedError(`discogs: ${endpoint} aborted`, { cause: err.cause });
        // The deadline struck while waiting or sending: keep the error that made us wait.
        if (signal.aborted && n > 0) break;
        lastError = new UpstreamError(`discogs: ${endpoint} sent a malformed body`, { cause: err.cause });
        await timing.sleep(backoff(n), signal).catch(() => undefined);
      }
    }
    if (outer?.aborted) throw new AbortedError(`discogs: ${endpoint} aborted`);
    if (signal.aborted && !(lastError instanceof DiscogsRateLimitError)) {
      throw new UpstreamError(
        `discogs: ${endpoint} deadline of ${deadlineMs} ms reached (${lastError.message})`,
        {
          cause: lastError,
        },
      );
    }
    throw lastError;
  }

  /** Reads a JSON body and validates it; a body cut short is worth another attempt. */
  const readJson =
    <T>(endpoint: DiscogsEndpoint, schema: z.ZodType<T>) =>
    async (res: Response): Promise<T> => {
      let body: unknown;
      try {
        body = await res.json();
      } catch (err) {
        throw new UnreadableBody(err);
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UpstreamError(
          `discogs: ${endpoint} body failed validation at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
        );
      }
      return parsed.data;
    };

  /** Identical GETs in flight share one request. */
  function get<T>(
    endpoint: DiscogsEndpoint,
    path: string,
    schema: z.ZodType<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const existing = inflight.get(path) as Promise<T> | undefined;
    if (existing) return existing;
    const p = request(
      endpoint,
      `${base}${path}`,
      path.split("?")[0]!,
      readJson(endpoint, schema),
      signal,
    ).finally(() => inflight.delete(path));
    inflight.set(path, p);
    return p;
  }

  const search = (params: SearchParams, signal?: AbortSignal) => {
    const qs = new URLSearchParams();
    for (const key of SEARCH_KEYS) {
      const v = params[key];
      if (v !== undefined && v !== null && String(v).trim() !== "") qs.set(key, String(v));
    }
    return get("search", `/database/search?${qs.toString()}`, RawSearch, signal);
  };

  /** Hosts images may come from: Discogs' own, and the configured API host (a simulator, a proxy). */
  const imageHosts = new Set(["i.discogs.com", "img.discogs.com", "api.discogs.com", new URL(base).host]);

  /** Reads an image body: only image types, at most MAX_IMAGE_BYTES. */
  async function readImage(res: Response): Promise<FetchedImage> {
    const mimeType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!/^image\/(jpeg|png|gif|webp)$/.test(mimeType)) {
      await res.body?.cancel().catch(() => undefined);
      throw new UpstreamError(`discogs: image answered ${res.status} ${mimeType || "without a type"}`);
    }
    if (Number(res.headers.get("content-length") ?? 0) > MAX_IMAGE_BYTES) {
      await res.body?.cancel().catch(() => undefined);
      throw new UpstreamError("discogs: image larger than 8 MiB");
    }
    let data: Uint8Array;
    try {
      data = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw new UnreadableBody(err);
    }
    if (data.byteLength > MAX_IMAGE_BYTES) throw new UpstreamError("discogs: image larger than 8 MiB");
    return { data, mimeType };
  }

  async function getImage(url: string, outer?: AbortSignal): Promise<FetchedImage> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UpstreamError("discogs: image address is not a URL");
    }
    if (!/^https?:$/.test(parsed.protocol) || !imageHosts.has(parsed.host))
      throw new UpstreamError(`discogs: image host ${parsed.host} is not a Discogs host`);
    // The token goes to the API host only; image hosts need none.
    const sent = parsed.host === new URL(base).host ? headers : { "User-Agent": options.userAgent };
    return request("image", parsed.href, "", readImage, outer, sent);
  }

  return {
    search,
    getImage,
    getRelease: (id, signal) => get("release", `/releases/${id}`, RawRelease, signal),
    getMaster: (id, signal) => get("master", `/masters/${id}`, RawMaster, signal),
    getMasterVersions: (id, opts = {}, signal) => {
      const qs = new URLSearchParams();
      if (opts.page) qs.set("page", String(opts.page));
      if (opts.per_page) qs.set("per_page", String(opts.per_page));
      if (opts.sort) qs.set("sort", opts.sort);
      if (opts.sort_order) qs.set("sort_order", opts.sort_order);
      const q = qs.toString();
      return get("master-versions", `/masters/${id}/versions${q ? `?${q}` : ""}`, RawMasterVersions, signal);
    },
    counters: () => Object.fromEntries(counts),
    requestCount: () => total,
    budget: () => ({ waitMs: limiter.waitMs(), limit: limiter.limit }),
  };
}
