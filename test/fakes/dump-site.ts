/**
 * A local stand-in for Discogs' data site (an S3 bucket): ListObjectsV2 listings with folders and
 * pages, files with HTTP Range, and faults on demand (a connection cut after some bytes). The dumps it
 * serves are generated from the repository's sample dump: a month is the sample's first N releases.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, gzipSync } from "node:zlib";

export interface DumpSite {
  url: string;
  files: Map<string, Buffer>;
  /** Every file request: its key and Range header. */
  requests: { key: string; range: string | null }[];
  /** Cut the connection after `bytes` bytes of `key`, `times` times. */
  cut(key: string, bytes: number, times?: number): void;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The sample's releases dump cut to its first `count` records (a smaller, older month). */
export function releasesDump(sample: string, count: number): Buffer {
  const xml = gunzipSync(readFileSync(sample)).toString("utf8");
  const records = xml.match(/<release [\s\S]*?<\/release>/g) ?? [];
  return gzipSync(`<releases>\n${records.slice(0, count).join("\n")}\n</releases>\n`);
}

/** A CHECKSUM.txt for files, as Discogs publishes it ("<sha256> *name"). */
export function checksumFile(files: Record<string, Buffer>): Buffer {
  return Buffer.from(
    Object.entries(files)
      .map(([name, body]) => `${createHash("sha256").update(body).digest("hex")} *${name}\n`)
      .join(""),
  );
}

export async function startDumpSite(files: Record<string, Buffer>, pageSize = 1000): Promise<DumpSite> {
  const store = new Map(Object.entries(files));
  const requests: DumpSite["requests"] = [];
  const cuts = new Map<string, { bytes: number; times: number }>();

  const list = (q: URLSearchParams): string => {
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter");
    const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
    const contents: string[] = [];
    const prefixes = new Set<string>();
    for (const k of keys) {
      const rest = k.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + 1));
      else contents.push(k);
    }
    const start = Number(q.get("continuation-token") ?? 0);
    const page = contents.slice(start, start + pageSize);
    const truncated = start + pageSize < contents.length;
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>discogs-data-dumps</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>`,
      `<MaxKeys>${pageSize}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`,
      truncated ? `<NextContinuationToken>${start + pageSize}</NextContinuationToken>` : "",
      ...page.map(
        (k) =>
          `<Contents><Key>${xmlEscape(k)}</Key><LastModified>2020-08-06T00:00:00.000Z</LastModified><Size>${store.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      ),
      ...(start === 0
        ? [...prefixes].map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`)
        : []),
      "</ListBucketResult>",
    ].join("");
  };

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    if (u.pathname === "/" && u.searchParams.get("list-type") === "2") {
      res.writeHead(200, { "content-type": "application/xml" }).end(list(u.searchParams));
      return;
    }
    const key = decodeURIComponent(u.pathname.slice(1));
    const body = store.get(key);
    const range = req.headers.range ?? null;
    requests.push({ key, range });
    if (!body) {
      res.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    let start = 0;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
        return;
      }
    }
    const slice = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      "content-length": String(slice.length),
      "accept-ranges": "bytes",
      ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const cut = cuts.get(key);
    if (cut && cut.times > 0) {
      cut.times--;
      // Send some bytes, then drop the connection mid-body, as a flaky network does.
      res.write(slice.subarray(0, Math.max(0, cut.bytes - start)), () => {
        setTimeout(() => res.socket?.destroy(), 100);
      });
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files: store,
    requests,
    cut: (key, bytes, times = 1) => cuts.set(key, { bytes, times }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
