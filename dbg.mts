import { createDiscogsSource } from "./src/adapters/discogs/source.ts";
import { extractTrack } from "./src/core/extract.ts";
import { findRelease } from "./src/core/match.ts";
import { DEFAULT_SCORE_WEIGHTS } from "./src/core/score.ts";

const src = createDiscogsSource({ baseUrl: "http://127.0.0.1:4000", token: "x", userAgent: "d/1" });
const [filename, ...rest] = process.argv.slice(2);
const tags = rest.length ? JSON.parse(rest[0]!) : undefined;
const q = extractTrack({ filename: filename!, tags });
console.log(JSON.stringify(q));
const out = await findRelease(q, src, { weights: DEFAULT_SCORE_WEIGHTS, maxResults: 10, maxRequests: 6 });
console.log(out.recommendation, out.confidence, out.margin, out.requests, out.strategies);
for (const s of out.ranked.slice(0, 5))
  console.log(
    s.candidate.releaseId,
    s.candidate.masterId,
    s.candidate.release?.title,
    s.candidate.release?.year,
    s.candidate.masterYear,
    s.row?.title,
    s.distance.toFixed(3),
    JSON.stringify(s.penalties),
  );
