/**
 * Search semantics close to Discogs': case- and accent-insensitive tokens; structured parameters filter
 * their own field; `q` matches across artist, title, tracks, label and catno; ranked by relevance.
 */
import { displayArtist, type Json, type SearchDoc, type SimulatorStore, tokens } from "./store.js";

const FIELD_PARAMS = [
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
  "track",
] as const;
/** How much a token match in a field adds to relevance. */
const FIELD_WEIGHT: Record<string, number> = {
  artist: 3,
  release_title: 3,
  title: 3,
  track: 2,
  label: 1,
  anv: 2,
};

function matches(doc: SearchDoc, params: URLSearchParams): number | null {
  let score = 0;
  for (const name of FIELD_PARAMS) {
    const value = params.get(name);
    if (!value) continue;
    const wanted = tokens(value);
    const field = doc.fields[name]!;
    if (wanted.length === 0) continue;
    if (!wanted.every((t) => field.has(t))) return null;
    score += wanted.length * (FIELD_WEIGHT[name] ?? 0.5);
    // Exact title beats a title that merely contains the words.
    if (name === "release_title" && tokens(String(doc.release.title ?? "")).join(" ") === wanted.join(" "))
      score += 4;
  }
  for (const [name, list] of [
    ["catno", doc.compactCatno],
    ["barcode", doc.compactBarcode],
  ] as const) {
    const value = params.get(name);
    if (!value) continue;
    const want = tokens(value).join("");
    if (!list.some((c) => c === want || c.includes(want))) return null;
    score += 5;
  }
  const q = params.get("q");
  if (q) {
    const wanted = tokens(q);
    if (!wanted.every((t) => doc.all.has(t))) return null;
    for (const t of wanted) {
      if (doc.fields.artist!.has(t)) score += 2;
      if (doc.fields.release_title!.has(t)) score += 2;
      if (doc.fields.track!.has(t)) score += 1;
    }
  }
  return score;
}

/** One result row, in the real shape (see search-artist-title.json); `year` is a string. */
function toResult(doc: SearchDoc, store: SimulatorStore): Json {
  const r = doc.release;
  const labels = (r.labels as { name?: string; catno?: string }[] | undefined) ?? [];
  const formats = (r.formats as { name?: string; qty?: string; descriptions?: string[] }[] | undefined) ?? [];
  const masterId = doc.type === "master" ? doc.id : Number(r.master_id) || 0;
  const community = (r.community as { have?: number; want?: number } | undefined) ?? {};
  const have = doc.type === "master" ? doc.popularity : (community.have ?? 0);
  const year = doc.type === "master" ? store.masters.get(doc.id)?.year : r.year;
  const row: Json = {
    country: r.country ?? "",
    year: year ? String(year) : "",
    format: formats.flatMap((f) => [f.name ?? "", ...(f.descriptions ?? [])]),
    label: [...new Set(labels.map((l) => l.name ?? ""))],
    type: doc.type,
    genre: r.genres ?? [],
    style: r.styles ?? [],
    id: doc.id,
    barcode: [],
    user_data: { in_wantlist: false, in_collection: false },
    master_id: masterId,
    master_url: masterId ? `https://api.discogs.com/masters/${masterId}` : null,
    uri: doc.type === "master" ? `/master/${doc.id}` : `/release/${doc.id}`,
    catno: labels[0]?.catno ?? "",
    title: `${displayArtist(r.artists as never)} - ${doc.type === "master" ? (store.masters.get(doc.id)?.title ?? r.title) : r.title}`,
    thumb: "",
    cover_image: "",
    resource_url: `https://api.discogs.com/${doc.type}s/${doc.id}`,
    community: { want: community.want ?? 0, have },
  };
  if (doc.type === "release") {
    row.format_quantity = formats.reduce((n, f) => n + (Number(f.qty) || 1), 0);
    row.formats = formats;
  }
  return row;
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
      const score = matches(doc, params);
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
  const rows = (ids ?? []).map((id) => {
    const r = store.releases.get(id)!;
    const labels = (r.labels as { name?: string; catno?: string }[] | undefined) ?? [];
    const formats = (r.formats as { name?: string; descriptions?: string[] }[] | undefined) ?? [];
    const released = String(r.released ?? r.year ?? "").slice(0, 4);
    return {
      id,
      label: labels[0]?.name ?? "",
      country: r.country ?? "",
      title: r.title,
      major_formats: [...new Set(formats.map((f) => f.name ?? ""))],
      format: formats.flatMap((f) => f.descriptions ?? []).join(", "),
      catno: labels[0]?.catno ?? "",
      released,
      status: r.status ?? "Accepted",
      resource_url: `https://api.discogs.com/releases/${id}`,
      thumb: "",
      stats: { community: { in_wantlist: 0, in_collection: 0 }, user: { in_wantlist: 0, in_collection: 0 } },
    };
  });
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
