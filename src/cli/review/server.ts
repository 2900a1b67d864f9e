/**
 * The review page's local server: the page, its script and style (served from this package, nothing
 * remote), the session's state as JSON, and the three actions (decide, apply, cover).
 *
 * Safe by construction:
 * - every request's Host must name this server (no DNS rebinding);
 * - the page and its data need the session token: the printed URL carries it once, and the server
 *   trades it for an HttpOnly, SameSite=Strict cookie and a token the page's script sends back;
 * - every state-changing request carries that token in a header and a same-origin Origin;
 * - files are named only by the session's own row ids (bodies are strict: no paths);
 * - a strict Content-Security-Policy: scripts, styles, images and requests from this origin only.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import type { CoverStore } from "../../core/tagging/cover.js";
import { ReviewRequestError, type ReviewSession } from "./session.js";

/** The header the page's script sends the token in. */
export const TOKEN_HEADER = "x-discmeta-token";
const COOKIE = "discmeta_review";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The page's files, read once from the package's `web/review` folder. */
function loadAssets(): Record<string, { type: string; body: string }> {
  const read = (name: string) => {
    // src/cli/review (tsx, tests) and dist/src/cli/review (the build) sit at different depths.
    for (const up of ["../../../", "../../../../"]) {
      try {
        return readFileSync(new URL(`${up}web/review/${name}`, import.meta.url), "utf8");
      } catch {
        /* the other depth */
      }
    }
    throw new Error(`the review page's ${name} is missing from the package (web/review)`);
  };
  return {
    "/": { type: "text/html; charset=utf-8", body: read("index.html") },
    "/app.js": { type: "text/javascript; charset=utf-8", body: read("app.js") },
    "/app.css": { type: "text/css; charset=utf-8", body: read("app.css") },
  };
}

/** Options of the review server. */
export interface ReviewServerOptions {
  session: ReviewSession;
  covers: CoverStore;
  /** The address it binds to (for the Host check); 127.0.0.1 unless --host. */
  host: string;
  /** The session token; random when not given. */
  token?: string;
}

/** A release as a user may give it: 123, r123, [r123], or its Discogs address. */
const RELEASE_REF =
  /^(?:https?:\/\/(?:www\.)?discogs\.com\/(?:[a-z]{2}\/)?release\/)?\[?r?(\d{1,10})\]?(?:-[^\s/]*)?\/?$/i;

const DecisionSchema = z
  .object({
    choice: z.union([
      z.enum(["accept", "skip", "undecided"]),
      z
        .number()
        .int()
        .positive()
        .max(2 ** 31),
      z.string().trim().regex(RELEASE_REF),
    ]),
  })
  .strict();

/** A release id from what a user typed: 123, r123, [r123] or a Discogs release URL. */
export function releaseIdOf(text: string): number | null {
  const m = RELEASE_REF.exec(text.trim());
  const id = m ? Number(m[1]) : Number.NaN;
  return Number.isInteger(id) && id > 0 && id <= 2 ** 31 ? id : null;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieOf(req: FastifyRequest): string | null {
  const header = req.headers.cookie ?? "";
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return v.join("=");
  }
  return null;
}

/** Builds the review server (not listening yet); `allowHosts(port)` must be called once it listens. */
export function buildReviewServer(options: ReviewServerOptions): {
  app: FastifyInstance;
  token: string;
  /** Sets the port the Host and Origin checks expect. */
  listeningOn(port: number): void;
} {
  const token = options.token ?? randomBytes(24).toString("base64url");
  const assets = loadAssets();
  const { session } = options;
  let hosts = new Set<string>();
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });

  const deny = (reply: FastifyReply, status: number, message: string) =>
    reply
      .code(status)
      .type("application/json")
      .send({ error: status === 403 ? "forbidden" : "bad_request", message });

  app.addHook("onRequest", async (req, reply) => {
    reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("cross-origin-resource-policy", "same-origin");
    reply.header("cache-control", "no-store");
    const host = (req.headers.host ?? "").toLowerCase();
    if (!hosts.has(host)) return deny(reply, 403, `Host "${host}" is not this review server`);
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.has(origin.toLowerCase().replace(/^http:\/\//, "")))
      return deny(reply, 403, `Origin "${origin}" may not use this review server`);
    const path = req.url.split("?")[0]!;
    if (path === "/app.js" || path === "/app.css" || path === "/favicon.ico") return;
    if (path === "/" && typeof (req.query as Record<string, unknown>).token === "string") return;
    const cookie = cookieOf(req);
    const header = req.headers[TOKEN_HEADER];
    const authed =
      (cookie !== null && same(cookie, token)) || (typeof header === "string" && same(header, token));
    if (!authed)
      return deny(
        reply,
        403,
        "this review session needs its token: open the address discmeta review printed",
      );
    if (req.method !== "GET" && req.method !== "HEAD") {
      if (typeof header !== "string" || !same(header, token))
        return deny(reply, 403, `a change needs the session token in the ${TOKEN_HEADER} header`);
      if (origin === undefined) return deny(reply, 403, "a change needs a same-origin Origin header");
    }
  });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ReviewRequestError)
      return reply.code(err.status).send({ error: "refused", message: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send({ error: "bad_request", message: (err as Error).message });
    return reply.code(500).send({ error: "internal", message: "the review server failed; see the terminal" });
  });

  app.get("/", async (req, reply) => {
    const given = (req.query as Record<string, unknown>).token;
    if (typeof given === "string") {
      if (!same(given, token)) return deny(reply, 403, "wrong session token");
      // The token leaves the address bar at once; the cookie carries it from now on.
      reply.header("set-cookie", `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      return reply.code(303).header("location", "/").send();
    }
    const page = assets["/"]!;
    return reply.type(page.type).send(page.body.replace("%TOKEN%", token));
  });
  for (const path of ["/app.js", "/app.css"] as const) {
    const asset = assets[path]!;
    app.get(path, async (_req, reply) => reply.type(asset.type).send(asset.body));
  }
  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());

  app.get("/api/state", async () => session.view());

  app.post("/api/rows/:id/decision", async (req, reply) => {
    const id = String((req.params as { id: string }).id);
    const parsed = DecisionSchema.safeParse(req.body);
    if (!parsed.success)
      return deny(
        reply,
        400,
        `a decision is {"choice": "accept" | "skip" | "undecided" | <release id or Discogs URL>} and nothing else: ${parsed.error.issues[0]!.message}`,
      );
    const c = parsed.data.choice;
    const request =
      typeof c === "number"
        ? { releaseId: c }
        : c === "accept" || c === "skip" || c === "undecided"
          ? c
          : { releaseId: releaseIdOf(c)! };
    await session.decide(id, request);
    return session.view();
  });

  app.post("/api/apply", async (req, reply) => {
    if (req.body !== undefined && req.body !== null && Object.keys(req.body as object).length > 0)
      return deny(reply, 400, "apply takes no body: it writes what was accepted");
    session.startApply();
    return reply.code(202).send(session.view());
  });

  app.get("/api/rows/:id/cover", async (req, reply) => {
    const where = session.coverOf(String((req.params as { id: string }).id));
    if (!where) return reply.code(404).send({ error: "not_found", message: "no cover for this row" });
    try {
      const image = await options.covers.get(where.releaseId, where.url);
      if (!image) return reply.code(404).send({ error: "not_found", message: "the release has no cover" });
      return reply
        .type(image.mimeType)
        .header("cache-control", "private, max-age=3600")
        .send(Buffer.from(image.data));
    } catch (err) {
      return reply.code(404).send({ error: "not_found", message: `no cover: ${(err as Error).message}` });
    }
  });

  return {
    app,
    token,
    listeningOn(port: number) {
      const names = new Set([
        "127.0.0.1",
        "localhost",
        "[::1]",
        options.host.includes(":") ? `[${options.host}]` : options.host,
      ]);
      hosts = new Set([...names].map((h) => `${h}:${port}`.toLowerCase()));
    },
  };
}
