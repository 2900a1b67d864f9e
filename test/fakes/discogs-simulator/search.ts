/**
 * Search semantics close to Discogs': case- and accent-insensitive tokens; structured parameters filter
 * their own field; `q` matches across artist, title, tracks, label and catno; ranked by relevance.
 */
import { relevance } from "../../../src/adapters/discogs/index/fields.js";
import { searchRowOf, versionRowOf } from "../../../src/adapters/discogs/index/rows.js";
import type { Json, SearchDoc, SimulatorStore } from "./store.js";

/** One result row, in the real shape. */
function toResult(doc: SearchDoc, store: SimulatorStore): Json {
  const m = doc.type === "master" ? store.masters.get(doc.id) : undefined;
  const master = m
    ? { title: String(m.title ?? ""), year: Number(m.year) || 0, have: doc.popularity }
    : undefined;
  return searchRowOf(doc.type, doc.id, doc.release, master);
}

/** Runs a search and returns the body with the real pagination object. */
export function search(store: SimulatorStore, params: URLSearchParams, baseUrl: string): Json {
  const type = params.get("type");
  const perPage = Math.min(100, Math.max(1, Number(params.get("per_page")) || 50));
  const page = Math.max(1, Number(params.get("page")) || 1);
  const scored: { doc: SearchDoc; score: number }[] = [];
  if (type === null || type === "" || type === "release" || type === "master") {
    for (const doc of store.docs) {
      if (type && doc.type !== type) continue;
      const score = relevance(doc, (n) => params.get(n));
      if (score === null) continue;
      // Popular records rank a little higher, as on Discogs; masters lead their versions.
      scored.push({
        doc,
        score: score + Math.log10(1 + doc.popularity) * 0.5 + (doc.type === "master" ? 0.75 : 0),
      });
    }
  }
  scored.sort((a, b) => b.score - a.score || a.doc.id - b.doc.id);
  const items = scored.length;
  const pages = Math.max(1, Math.ceil(items / perPage));
  const slice = scored.slice((page - 1) * perPage, page * perPage);
  const urls: Json = {};
  if (page < pages) {
    const next = new URLSearchParams(params);
    next.set("page", String(page + 1));
    urls.next = `${baseUrl}/database/search?${next.toString()}`;
    next.set("page", String(pages));
    urls.last = `${baseUrl}/database/search?${next.toString()}`;
  }
  return {
    pagination: { page, pages, per_page: perPage, items, urls },
    results: slice.map((s) => toResult(s.doc, store)),
  };
}

/** GET /masters/{id}/versions, sorted as asked (default: released, ascending). */
export function masterVersions(
  store: SimulatorStore,
  masterId: number,
  params: URLSearchParams,
): Json | null {
  const ids = store.versions.get(masterId);
  if (!ids && !store.masters.has(masterId)) return null;
  const perPage = Math.min(100, Math.max(1, Number(params.get("per_page")) || 50));
  const page = Math.max(1, Number(params.get("page")) || 1);
  const sort = params.get("sort") ?? "released";
  const desc = params.get("sort_order") === "desc";
  const rows = (ids ?? []).map((id) => versionRowOf(id, store.releases.get(id)!));
  const key = (row: (typeof rows)[number]) =>
    sort === "title"
      ? row.title
      : sort === "label"
        ? row.label
        : sort === "catno"
          ? row.catno
          : sort === "country"
            ? row.country
            : sort === "format"
              ? row.format
              : row.released || "9999";
  rows.sort((a, b) => String(key(a)).localeCompare(String(key(b))) * (desc ? -1 : 1) || a.id - b.id);
  const items = rows.length;
  return {
    pagination: { page, pages: Math.max(1, Math.ceil(items / perPage)), per_page: perPage, items, urls: {} },
    filters: { applied: {}, available: {} },
    filter_facets: [],
    versions: rows.slice((page - 1) * perPage, page * perPage),
  };
}
