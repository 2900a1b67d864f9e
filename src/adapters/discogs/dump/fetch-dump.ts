/**
 * Fetching Discogs' monthly CC0 dumps: finding the newest one on the data site (an S3 bucket listing,
 * or any mirror with the same layout), downloading with resume (HTTP Range), and checking each file
 * against the month's published CHECKSUM file. Everything the site sends is untrusted: keys must match
 * the dump's naming, sizes must add up, and a file is only named as downloaded once its SHA-256 is right.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { InvalidInputError, UpstreamError } from "../../../core/errors.js";
import { REAL_TIMING } from "../rate-limit.js";

/** One file of a monthly dump, as the listing gives it. */
export interface DumpFile {
  /** The key under the base URL: "data/2026/discogs_20261101_releases.xml.gz". */
  key: string;
  /** Bytes, when the listing says. */
  size: number | null;
}

/** A month's dump: the files `index update` needs. */
export interface MonthlyDump {
  /** YYYY-MM-DD. */
  date: string;
  releases: DumpFile;
  masters: DumpFile | null;
  checksum: DumpFile;
}

/** Progress of one download. */
export interface DownloadProgress {
  file: string;
  bytes: number;
  total: number | null;
  bytesPerSec: number;
  etaSec: number | null;
  /** True when this attempt continued a partial file (HTTP Range). */
  resumed: boolean;
}

export interface FetchOptions {
  signal?: AbortSignal | undefined;
  /** Tests shorten this; default 1 s, doubled per retry. */
  retryDelayMs?: number;
  /** Attempts after a cut connection or a 5xx. Default 5. */
  retries?: number;
  userAgent?: string;
}

const DUMP_NAME = /^data\/(\d{4})\/discogs_(\d{8})_(releases\.xml\.gz|masters\.xml\.gz|CHECKSUM\.txt)$/;

/** Decodes the XML character references an S3 listing uses in keys. */
const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e === "amp" ? "&" : e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" ? '"' : "'",
  );

const tagValues = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => unescapeXml(m[1]!));

async function get(
  url: string,
  options: FetchOptions,
  headers: Record<string, string> = {},
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { "user-agent": options.userAgent ?? "discmeta", ...headers },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason ?? err;
    throw new UpstreamError(
      `cannot reach ${new URL(url).host}: ${(err as Error).cause ?? (err as Error).message}`,
      { status: 0 },
    );
  }
  return res;
}

/** One page of an S3 ListObjectsV2 answer: keys, sub-folders, and the token of the next page. */
async function listPage(
  base: string,
  prefix: string,
  token: string | null,
  options: FetchOptions,
): Promise<{ keys: DumpFile[]; prefixes: string[]; next: string | null }> {
  const q = new URLSearchParams({ "list-type": "2", prefix, delimiter: "/" });
  if (token) q.set("continuation-token", token);
  const url = `${base}/?${q}`;
  const res = await get(url, options);
  if (!res.ok)
    throw new UpstreamError(`the dump site answered ${res.status} to its listing (${base})`, {
      status: res.status,
    });
  const xml = (await res.text()).slice(0, 8_000_000);
  if (!xml.includes("<ListBucketResult"))
    throw new UpstreamError(`${base} does not list its files as S3 does: give --date to name the dump`, {
      status: 502,
    });
  const keys: DumpFile[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = tagValues(m[1]!, "Key")[0];
    const size = Number(tagValues(m[1]!, "Size")[0]);
    if (key) keys.push({ key, size: Number.isSafeInteger(size) && size >= 0 ? size : null });
  }
  const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].flatMap((m) =>
    tagValues(m[1]!, "Prefix"),
  );
  const truncated = tagValues(xml, "IsTruncated")[0] === "true";
  const next = truncated ? (tagValues(xml, "NextContinuationToken")[0] ?? null) : null;
  return { keys, prefixes, next };
}

async function listAll(base: string, prefix: string, options: FetchOptions) {
  const keys: DumpFile[] = [];
  const prefixes: string[] = [];
  let token: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const got = await listPage(base, prefix, token, options);
    keys.push(...got.keys);
    prefixes.push(...got.prefixes);
    if (!got.next || got.next === token) break;
    token = got.next;
  }
  return { keys, prefixes };
}

/** The months of one year's folder that hold releases and a checksum file, newest first. */
function completeMonths(keys: DumpFile[]): MonthlyDump[] {
  const byDate = new Map<string, Partial<Record<"releases" | "masters" | "checksum", DumpFile>>>();
  for (const f of keys) {
    const m = DUMP_NAME.exec(f.key);
    if (!m || m[2]!.slice(0, 4) !== m[1]) continue;
    const date = `${m[2]!.slice(0, 4)}-${m[2]!.slice(4, 6)}-${m[2]!.slice(6, 8)}`;
    const kind = m[3]!.startsWith("releases")
      ? "releases"
      : m[3]!.startsWith("masters")
        ? "masters"
        : "checksum";
    byDate.set(date, { ...byDate.get(date), [kind]: f });
  }
  return [...byDate.entries()]
    .filter(([, f]) => f.releases && f.checksum)
    .sort(([a], [b]) => (a < b ? 1 : -1))
    .map(([date, f]) => ({ date, releases: f.releases!, masters: f.masters ?? null, checksum: f.checksum! }));
}

/**
 * The newest complete monthly dump the site lists (releases and a checksum file published), or the one
 * of `date` (YYYY-MM-DD) when given: then nothing is listed, so any static mirror serves.
 */
export async function findNewestDump(
  base: string,
  options: FetchOptions & { date?: string } = {},
): Promise<MonthlyDump> {
  if (options.date) {
    const d = options.date.replaceAll("-", "");
    const key = (what: string) => `data/${d.slice(0, 4)}/discogs_${d}_${what}`;
    return {
      date: options.date,
      releases: { key: key("releases.xml.gz"), size: null },
      masters: { key: key("masters.xml.gz"), size: null },
      checksum: { key: key("CHECKSUM.txt"), size: null },
    };
  }
  const years = (await listAll(base, "data/", options)).prefixes
    .map((p) => /^data\/(\d{4})\/$/.exec(p)?.[1])
    .filter((y): y is string => y !== undefined)
    .sort()
    .reverse();
  // The newest year may hold only a month whose upload is not finished: look one year further back.
  for (const year of years.slice(0, 2)) {
    const months = completeMonths((await listAll(base, `data/${year}/`, options)).keys);
    if (months[0]) return months[0];
  }
  throw new UpstreamError(`no complete monthly dump listed at ${base}/data/`, { status: 404 });
}

/** The SHA-256 of each file a CHECKSUM.txt names ("<hex>  discogs_…" or "<hex> *discogs_…"). */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m) out.set(m[2]!.split("/").at(-1)!, m[1]!.toLowerCase());
  }
  return out;
}

/** Fetches and parses a month's CHECKSUM file. */
export async function fetchChecksums(
  base: string,
  dump: MonthlyDump,
  options: FetchOptions = {},
): Promise<Map<string, string>> {
  const res = await get(`${base}/${dump.checksum.key}`, options);
  if (!res.ok)
    throw new UpstreamError(`the checksum file ${dump.checksum.key} answered ${res.status}`, {
      status: res.status,
    });
  const sums = parseChecksums((await res.text()).slice(0, 100_000));
  if (sums.size === 0)
    throw new UpstreamError(`the checksum file ${dump.checksum.key} lists no SHA-256 sums`, { status: 502 });
  return sums;
}

/** The SHA-256 of a file on disk, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash, { signal });
  return hash.digest("hex");
}

/** A downloaded file whose SHA-256 is not the published one. */
export class ChecksumMismatchError extends UpstreamError {
  override readonly name = "ChecksumMismatchError";
}

/** A disk that filled up while writing: kept apart, since retrying cannot help. */
export class DiskFullError extends InvalidInputError {
  override readonly name = "InvalidInputError" as const;
}

/**
 * Downloads `url` to `dest`, through `dest.part`: a partial file from a cut connection or an earlier run
 * is continued with an HTTP Range request, and a server that ignores Range starts it over. The file is
 * named `dest` only when its SHA-256 equals `sha256`; a wrong one is deleted, so the next try starts
 * clean. A full disk stops at once with the partial file kept for a resume once space is freed.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  sha256: string,
  options: FetchOptions & { onProgress?: (p: DownloadProgress) => void; progressIntervalMs?: number } = {},
): Promise<{ bytes: number; resumedAt: number; attempts: number }> {
  const part = `${dest}.part`;
  const name = dest.split("/").at(-1)!;
  const retries = options.retries ?? 5;
  let delay = options.retryDelayMs ?? 1000;
  let resumedAt = 0;
  let attempts = 0;
  for (;;) {
    attempts++;
    const have = await stat(part).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
    try {
      const done = await fetchInto(url, part, have, name, options);
      if (done.resumed && resumedAt === 0) resumedAt = have;
      break;
    } catch (err) {
      if (err instanceof DiskFullError || options.signal?.aborted) throw err;
      const status = err instanceof UpstreamError ? (err.status ?? 0) : 0;
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempts > retries) throw err;
      await REAL_TIMING.sleep(delay, options.signal);
      delay = Math.min(delay * 2, 60_000);
    }
  }
  const got = await sha256File(part, options.signal);
  if (got !== sha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new ChecksumMismatchError(
      `${name} does not match its published checksum (SHA-256 ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…): the download was deleted; run the update again`,
      { status: 502 },
    );
  }
  await rename(part, dest);
  return { bytes: (await stat(dest)).size, resumedAt, attempts };
}

/** One attempt: GET (with Range from `have`), appending to the partial file. */
async function fetchInto(
  url: string,
  part: string,
  have: number,
  name: string,
  options: FetchOptions & { onProgress?: (p: DownloadProgress) => void; progressIntervalMs?: number },
): Promise<{ resumed: boolean }> {
  const res = await get(url, options, have > 0 ? { range: `bytes=${have}-` } : {});
  if (res.status === 416 && have > 0) {
    // Asked past the end: the partial file is already whole (the checksum will tell).
    await res.body?.cancel();
    return { resumed: true };
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new UpstreamError(`${name} answered ${res.status}`, { status: res.status });
  }
  const resumed = res.status === 206 && have > 0;
  if (res.status === 206 && !resumed)
    throw new UpstreamError(`${name}: a partial answer to a whole request`, { status: 502 });
  const start = resumed ? have : 0;
  const length = Number(res.headers.get("content-length"));
  const total = Number.isSafeInteger(length) && length > 0 ? start + length : null;
  let bytes = start;
  const t0 = Date.now();
  let last = 0;
  const interval = options.progressIntervalMs ?? 500;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - last < interval)) return;
    last = now;
    const rate = (bytes - start) / Math.max(0.001, (now - t0) / 1000);
    options.onProgress({
      file: name,
      bytes,
      total,
      bytesPerSec: rate,
      etaSec: total !== null && rate > 0 ? (total - bytes) / rate : null,
      resumed,
    });
  };
  // Chunk by chunk, each written before the next is read: whatever arrived before a cut is on disk, so
  // the next attempt resumes from it.
  const file = await open(part, resumed ? "a" : "w");
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      bytes += chunk.length;
      report(false);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT")
      throw new DiskFullError(
        `the disk is full: ${name} stopped at ${bytes.toLocaleString("en")} of ${total?.toLocaleString("en") ?? "?"} bytes; free some space and run the update again to resume`,
      );
    if (options.signal?.aborted) throw options.signal.reason ?? err;
    throw new UpstreamError(`${name}: the connection was cut at ${bytes.toLocaleString("en")} bytes`, {
      status: 0,
    });
  } finally {
    await file.close().catch(() => undefined);
  }
  if (total !== null && bytes < total)
    throw new UpstreamError(`${name}: the connection was cut at ${bytes.toLocaleString("en")} bytes`, {
      status: 0,
    });
  report(true);
  return { resumed };
}
