/**
 * What the matchers ask a release source, in the domain's words: the TrackSearch of a query, and a
 * single batch of candidates when one search is all a step needs.
 */
import type { CandidateBatch, TrackSearch } from "../ports.js";
import type { TrackQuery } from "../types.js";
import { dashReadings } from "./readings.js";

/** The search for a track query: artist, title, their other readings, and the identifiers it carries. */
export function trackSearchOf(q: TrackQuery): TrackSearch {
  const out: TrackSearch = { artist: q.artist, title: q.title, readings: dashReadings(q) };
  if (q.hints.catno) out.catno = q.hints.catno;
  if (q.hints.barcode) out.barcode = q.hints.barcode;
  if (q.orderUncertain) out.orderUncertain = true;
  return out;
}

/** The first batch of a search (one lookup), or null when the source had no search to make. */
export async function firstBatch(batches: AsyncIterable<CandidateBatch>): Promise<CandidateBatch | null> {
  for await (const batch of batches) return batch;
  return null;
}
