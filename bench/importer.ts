/**
 * Dump importer throughput and memory: the sample's 810 releases repeated into one .xml.gz of at least
 * 100k records, then streamed once. Prints records/s and peak RSS.
 *
 *   npx tsx bench/importer.ts [records]
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { importDump } from "../src/adapters/discogs/dump/index.js";

const ROOT = resolve(import.meta.dirname, "..");
const SAMPLE = resolve(
  process.env.DISCOGS_DUMP_DIR ?? resolve(ROOT, "data/discogs-dump-sample"),
  "releases.xml.gz",
);
const target = Number(process.argv[2] ?? 100_000);

async function readText(path: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path).pipe(createGunzip())) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const xml = await readText(SAMPLE);
const body = xml.slice(xml.indexOf("<release "), xml.lastIndexOf("</releases>"));
const perCopy = (body.match(/<release /g) ?? []).length;
const copies = Math.ceil(target / perCopy);
const dir = await mkdtemp(join(tmpdir(), "discmeta-bench-"));
const big = join(dir, "releases.xml.gz");
await pipeline(
  (async function* () {
    yield "<releases>\n";
    for (let i = 0; i < copies; i++) yield body;
    yield "</releases>\n";
  })(),
  createGzip(),
  createWriteStream(big),
);

let peak = 0;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const t0 = performance.now();
let n = 0;
for await (const _rec of importDump(big)) n++;
const s = (performance.now() - t0) / 1000;
clearInterval(sample);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(
  `importer: ${n} release records in ${s.toFixed(2)} s = ${Math.round(n / s)} records/s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB ` +
    `(input ${copies} copies of the ${perCopy}-release sample, gzip-compressed)\n`,
);
