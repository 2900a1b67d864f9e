/**
 * Converts dump elements to the JSON shapes the Discogs API returns (see test/fixtures/discogs-api-samples).
 * The dump writes elements for keys, `released` as "1999-03-00", and `is_main_release` on master_id.
 */
import { parseYear } from "../../../core/normalize.js";
import { child, children, text, type XmlNode } from "./xml-records.js";

const API = "https://api.discogs.com";
const WEB = "https://www.discogs.com";

/** Anything but printable ASCII. */
const NON_ASCII = /[^\x20-\x7e]/;

/** A URL slug as Discogs makes them: "The Persuader - Stockholm" -> "The-Persuader-Stockholm". */
export function slug(s: string): string {
  // Printable ASCII has no marks to strip, and its letters and digits are [A-Za-z0-9]: the same slug
  // without Unicode normalization, at a third of the cost (the index build makes two a release).
  if (!NON_ASCII.test(s)) return s.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return s
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}

function num(s: string | undefined): number | undefined {
  const n = Number(s);
  return s !== undefined && s !== "" && Number.isFinite(n) ? n : undefined;
}

function artistCredits(node: XmlNode | undefined) {
  return (node?.children ?? [])
    .filter((a) => a.name === "artist")
    .map((a) => {
      const id = num(text(a, "id"));
      return {
        name: text(a, "name"),
        anv: text(a, "anv"),
        join: text(a, "join"),
        role: text(a, "role"),
        tracks: text(a, "tracks"),
        id: id ?? 0,
        resource_url: id ? `${API}/artists/${id}` : "",
      };
    });
}

/** A release's or master's `<videos>`, in the API's shape. */
function videos(node: XmlNode) {
  return children(node, "videos", "video").map((v) => ({
    uri: v.attrs.src ?? "",
    title: text(v, "title"),
    description: text(v, "description"),
    duration: num(v.attrs.duration) ?? 0,
    embed: v.attrs.embed === "true",
  }));
}

function track(t: XmlNode): Record<string, unknown> {
  const subs = children(t, "sub_tracks", "track");
  const position = text(t, "position");
  const duration = text(t, "duration");
  const type = subs.length > 0 ? "index" : position === "" && duration === "" ? "heading" : "track";
  const out: Record<string, unknown> = { position, type_: type, title: text(t, "title"), duration };
  const artists = artistCredits(child(t, "artists"));
  if (artists.length > 0) out.artists = artists;
  const extra = artistCredits(child(t, "extraartists"));
  if (extra.length > 0) out.extraartists = extra;
  if (subs.length > 0) out.sub_tracks = subs.map(track);
  return out;
}

/** The name a release's address is made of: its artists joined as the dump joins them, or "Various". */
function artistLine(artists: readonly { name?: string; join?: string | null }[]): string {
  return (
    artists
      .map((a) => (a.name ?? "") + (a.join ? ` ${a.join} ` : ""))
      .join("")
      .trim() || "Various"
  );
}

/** A release's web address as the dump's converter makes it. */
export function releaseUri(
  id: number,
  artists: readonly { name?: string; join?: string | null }[],
  title: string,
): string {
  return `${WEB}/release/${id}-${slug(`${artistLine(artists)} ${title}`)}`;
}

/** A `<release>` element -> GET /releases/{id} body. Also says whether it is its master's main release. */
export function releaseToApi(node: XmlNode): { release: Record<string, unknown>; isMainRelease: boolean } {
  const id = Number(node.attrs.id);
  const artists = artistCredits(child(node, "artists"));
  const title = text(node, "title");
  const released = text(node, "released");
  const masterNode = child(node, "master_id");
  const masterId = num(masterNode?.text.trim());
  const artistName = artistLine(artists);
  const release: Record<string, unknown> = {
    id,
    status: node.attrs.status ?? "Accepted",
    year: parseYear(released) ?? 0,
    resource_url: `${API}/releases/${id}`,
    uri: releaseUri(id, artists, title),
    artists,
    artists_sort: artistName,
    labels: children(node, "labels", "label").map((l) => {
      const lid = num(l.attrs.id);
      return {
        name: l.attrs.name ?? "",
        catno: l.attrs.catno ?? "",
        entity_type: "1",
        entity_type_name: "Label",
        id: lid ?? 0,
        resource_url: lid ? `${API}/labels/${lid}` : "",
      };
    }),
    companies: children(node, "companies", "company").map((c) => ({
      name: text(c, "name"),
      catno: text(c, "catno"),
      entity_type: text(c, "entity_type"),
      entity_type_name: text(c, "entity_type_name"),
      id: num(text(c, "id")) ?? 0,
      resource_url: text(c, "resource_url"),
    })),
    formats: children(node, "formats", "format").map((f) => {
      const out: Record<string, unknown> = {
        name: f.attrs.name ?? "",
        qty: f.attrs.qty ?? "1",
        descriptions: children(f, "descriptions", "description").map((d) => d.text.trim()),
      };
      if (f.attrs.text) out.text = f.attrs.text;
      return out;
    }),
    data_quality: text(node, "data_quality"),
    format_quantity: children(node, "formats", "format").reduce((n, f) => n + (num(f.attrs.qty) ?? 1), 0),
    title,
    country: text(node, "country"),
    released,
    notes: text(node, "notes"),
    identifiers: children(node, "identifiers", "identifier").map((i) => ({
      type: i.attrs.type ?? "",
      value: i.attrs.value ?? "",
      ...(i.attrs.description ? { description: i.attrs.description } : {}),
    })),
    videos: videos(node),
    genres: children(node, "genres", "genre").map((g) => g.text.trim()),
    styles: children(node, "styles", "style").map((s) => s.text.trim()),
    tracklist: children(node, "tracklist", "track").map(track),
    extraartists: artistCredits(child(node, "extraartists")),
    // The dumps list the images but blank their addresses; the API fills them in.
    images: children(node, "images", "image").map((i) => ({
      type: i.attrs.type ?? "secondary",
      uri: i.attrs.uri ?? "",
      resource_url: i.attrs.uri ?? "",
      uri150: i.attrs.uri150 ?? "",
      width: num(i.attrs.width) ?? 0,
      height: num(i.attrs.height) ?? 0,
    })),
  };
  if (masterId) {
    release.master_id = masterId;
    release.master_url = `${API}/masters/${masterId}`;
  }
  return { release, isMainRelease: masterNode?.attrs.is_main_release === "true" };
}

/** A `<master>` element -> GET /masters/{id} body. */
export function masterToApi(node: XmlNode): Record<string, unknown> {
  const id = Number(node.attrs.id);
  const main = num(text(node, "main_release"));
  const title = text(node, "title");
  const artists = artistCredits(child(node, "artists"));
  return {
    id,
    main_release: main ?? 0,
    resource_url: `${API}/masters/${id}`,
    uri: `${WEB}/master/${id}-${slug(`${artists[0]?.name ?? ""} ${title}`)}`,
    versions_url: `${API}/masters/${id}/versions`,
    main_release_url: main ? `${API}/releases/${main}` : "",
    genres: children(node, "genres", "genre").map((g) => g.text.trim()),
    styles: children(node, "styles", "style").map((s) => s.text.trim()),
    year: num(text(node, "year")) ?? 0,
    tracklist: [],
    artists,
    title,
    data_quality: text(node, "data_quality"),
    videos: videos(node),
  };
}

/** An `<artist>` element -> GET /artists/{id} body. */
export function artistToApi(node: XmlNode): Record<string, unknown> {
  const id = num(text(node, "id")) ?? 0;
  const names = (name: string) =>
    children(node, name, "name").map((n) => ({ id: num(n.attrs.id) ?? 0, name: n.text.trim() }));
  return {
    id,
    name: text(node, "name"),
    realname: text(node, "realname"),
    profile: text(node, "profile"),
    data_quality: text(node, "data_quality"),
    namevariations: children(node, "namevariations", "name").map((n) => n.text.trim()),
    aliases: names("aliases"),
    members: names("members"),
    urls: children(node, "urls", "url").map((u) => u.text.trim()),
    resource_url: `${API}/artists/${id}`,
    uri: `${WEB}/artist/${id}-${slug(text(node, "name"))}`,
  };
}

/** A `<label>` element -> GET /labels/{id} body. */
export function labelToApi(node: XmlNode): Record<string, unknown> {
  const id = num(text(node, "id")) ?? 0;
  const parent = child(node, "parentLabel");
  return {
    id,
    name: text(node, "name"),
    contact_info: text(node, "contactinfo"),
    profile: text(node, "profile"),
    data_quality: text(node, "data_quality"),
    urls: children(node, "urls", "url").map((u) => u.text.trim()),
    sublabels: children(node, "sublabels", "label").map((l) => ({
      id: num(l.attrs.id) ?? 0,
      name: l.text.trim(),
    })),
    ...(parent ? { parent_label: { id: num(parent.attrs.id) ?? 0, name: parent.text.trim() } } : {}),
    resource_url: `${API}/labels/${id}`,
    uri: `${WEB}/label/${id}-${slug(text(node, "name"))}`,
  };
}
