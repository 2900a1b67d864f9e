import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { TrackMetadataSchema } from "../../src/core/schema.js";
import { EXAMPLE_ANSWER, EXAMPLE_REQUEST, METADATA_ROUTE } from "../../src/http/openapi.js";
import { MetadataRequestSchema } from "../../src/http/request.js";
import { buildServer } from "../../src/http/server.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR, FIXTURES } from "../helpers.js";

let sim: DiscogsSimulator;
beforeAll(async () => {
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: [join(FIXTURES, "discogs/t-fire.json")],
    rateLimit: { authenticated: 10_000 },
  });
});
afterAll(() => sim.close());

async function withServer<T>(
  env: Record<string, string>,
  fn: (app: Awaited<ReturnType<typeof buildServer>>) => Promise<T>,
) {
  const container = createContainer(
    loadConfig({
      DISCOGS_API_URL: sim.url,
      DISCOGS_USER_TOKEN: "tok",
      METADATA_CACHE_ENABLED: "false",
      ...env,
    }),
  );
  const app = await buildServer(container);
  try {
    return await fn(app);
  } finally {
    await app.close();
    await container.dispose();
  }
}

type Op = { operationId?: string; summary?: string; responses: Record<string, { description?: string }> };
const operations = (doc: { paths: Record<string, Record<string, Op>> }) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([verb, op]) => ({ path, verb, op })),
  );

describe("OpenAPI document", () => {
  it("its example answer is what the service answers to its example request", async () => {
    expect(MetadataRequestSchema.parse(EXAMPLE_REQUEST)).toEqual(EXAMPLE_REQUEST);
    expect(TrackMetadataSchema.parse(EXAMPLE_ANSWER)).toEqual(EXAMPLE_ANSWER);
    const answer = await withServer({}, async (app) => {
      const res = await app.inject({ method: "POST", url: METADATA_ROUTE, payload: EXAMPLE_REQUEST });
      expect(res.statusCode).toBe(200);
      return res.json();
    });
    const timeless = (a: typeof EXAMPLE_ANSWER) => ({
      ...a,
      diagnostics: { ...a.diagnostics, stages: a.diagnostics.stages.map((s) => ({ ...s, ms: 0 })) },
    });
    expect(timeless(answer)).toEqual(timeless(EXAMPLE_ANSWER));
  });

  it("names, summarises and describes every operation and response, with servers and the multipart body", async () => {
    const doc = await withServer({}, async (app) => (await app.inject({ url: "/openapi.json" })).json());
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(doc.info.license.identifier).toBe("MIT");
    const ops = operations(doc);
    expect(ops.map((o) => o.op.operationId).sort()).toEqual([
      "enrichBatch",
      "enrichTrack",
      "getJob",
      "submitJob",
    ]);
    for (const { op } of ops) {
      expect(op.summary).toBeTruthy();
      for (const res of Object.values(op.responses)) {
        expect(res.description).toBeTruthy();
        expect(res.description).not.toBe("Default Response");
      }
    }
    const single = doc.paths[METADATA_ROUTE].post;
    expect(single.requestBody.content["multipart/form-data"].schema).toMatchObject({
      required: ["file"],
      properties: { file: { type: "string", format: "binary" } },
    });
    expect(single.requestBody.content["application/json"].examples.tFire.value).toEqual(EXAMPLE_REQUEST);
    expect(single.responses["200"].content["application/json"].examples.tFire.value).toEqual(EXAMPLE_ANSWER);
  });

  it("declares the security it applies: none without API_KEYS, a key on every route with them", async () => {
    const open = await withServer({}, async (app) => (await app.inject({ url: "/openapi.json" })).json());
    expect(open.security).toEqual([]);
    expect(open.components?.securitySchemes).toBeUndefined();
    const key = "k".repeat(24);
    await withServer({ API_KEYS: key }, async (app) => {
      const doc = (await app.inject({ url: "/openapi.json", headers: { "x-api-key": key } })).json();
      expect(doc.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
      expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKey", "bearer"]);
      // What it declares is what it does: the documented route refuses a request without a key.
      const res = await app.inject({ method: "POST", url: METADATA_ROUTE, payload: EXAMPLE_REQUEST });
      expect(res.statusCode).toBe(401);
      expect(doc.paths[METADATA_ROUTE].post.responses["401"].description).toMatch(/API key/);
    });
  });
});
