/**
 * The service starts as the CLI does: with neither a token nor an index, the bundled sample's index
 * answers (not a Discogs stage turned off), and /ready and the log say which catalogue answers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import {
  buildIndex,
  catalogueOf,
  createContainer,
  defaultIndexPath,
  withDefaultCatalogue,
} from "../../src/container.js";
import { METADATA_ROUTE } from "../../src/http/openapi.js";
import { buildServer } from "../../src/http/server.js";
import { DUMP_DIR } from "../helpers.js";

const CACHE = mkdtempSync(join(tmpdir(), "discmeta-default-"));
afterAll(() => rmSync(CACHE, { recursive: true, force: true }));

describe("the default catalogue", () => {
  it("with neither a token nor an index, the service answers from the bundled sample, and says so", async () => {
    const env = { DISCMETA_CACHE_DIR: CACHE, METADATA_CACHE_ENABLED: "false", METADATA_MODE: "fast" };
    const bare = loadConfig(env);
    expect(bare.discogs.disabledReason).not.toBeNull();
    const { config, sample } = await withDefaultCatalogue(env, bare);
    expect(sample).toBe(true);
    expect(catalogueOf(config)).toBe("the bundled 810-release sample index");
    const container = createContainer(config);
    const app = await buildServer(container);
    try {
      const ready = await app.inject({ method: "GET", url: "/ready" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.catalog).toBe("the bundled 810-release sample index");
      const res = await app.inject({
        method: "POST",
        url: METADATA_ROUTE,
        payload: { filename: "Mateo & Matos - Groove 4 U.mp3" },
      });
      expect(res.json()).toMatchObject({
        source: "discogs",
        discogs: { releaseId: 53 },
        diagnostics: { catalog: "index", discogsRequests: 0 },
      });
    } finally {
      await app.close();
      await container.dispose();
    }
  });

  it("leaves a configured catalogue, or Discogs switched off, alone", async () => {
    const off = { DISCMETA_CACHE_DIR: CACHE, METADATA_USE_DISCOGS: "false" };
    expect((await withDefaultCatalogue(off, loadConfig(off))).sample).toBe(false);
    const api = { DISCMETA_CACHE_DIR: CACHE, DISCOGS_USER_TOKEN: "t" };
    const withToken = await withDefaultCatalogue(api, loadConfig(api));
    expect(withToken.sample).toBe(false);
    expect(catalogueOf(withToken.config)).toBe("the Discogs API");
  });

  it("uses an index built or updated at the default place, with the API behind it when there is a token", async () => {
    const cache = mkdtempSync(join(tmpdir(), "discmeta-default-built-"));
    try {
      await buildIndex({ releases: join(DUMP_DIR, "releases.xml.gz"), out: defaultIndexPath(cache) });
      const env = { DISCMETA_CACHE_DIR: cache };
      const plain = await withDefaultCatalogue(env, loadConfig(env));
      expect(plain.sample).toBe(false);
      expect(catalogueOf(plain.config)).toBe(`offline index ${defaultIndexPath(cache)}`);
      const api = { ...env, DISCOGS_USER_TOKEN: "t" };
      const both = await withDefaultCatalogue(api, loadConfig(api));
      expect(catalogueOf(both.config)).toBe(`offline index ${defaultIndexPath(cache)}, then the API`);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
