/** Release images through the client, over the simulator's image route: same budget, Discogs hosts only. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiscogsSource } from "../../../src/adapters/discogs/source.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../../fakes/discogs-simulator/index.js";
import { FIXTURES } from "../../helpers.js";

let sim: DiscogsSimulator;
beforeAll(async () => {
  sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
});
afterAll(() => sim.close());

describe("release images", () => {
  it("a release's cover address serves the image, counted by the simulator's budget", async () => {
    const source = createDiscogsSource({ baseUrl: sim.url, token: "t", userAgent: "discmeta-test/1" });
    const release = await source.getRelease(1);
    expect(release.images?.[0]).toMatchObject({
      type: "primary",
      uri: expect.stringContaining("/images/release/1/0.jpeg"),
    });
    sim.resetStats();
    const image = await source.getImage!(release.images![0]!.uri);
    expect(image.mimeType).toBe("image/jpeg");
    expect(Buffer.from(image.data).equals(readFileSync(join(FIXTURES, "images/cover.jpg")))).toBe(true);
    expect(sim.stats().byEndpoint["image 200"]).toBe(1);
    expect(source.client.counters()["image 200"]).toBe(1);
  });

  it("refuses other hosts, non-images and missing images with clear errors", async () => {
    const source = createDiscogsSource({
      baseUrl: sim.url,
      token: "t",
      userAgent: "discmeta-test/1",
      maxRetries: 0,
    });
    await expect(source.getImage!("https://evil.example.com/x.jpg")).rejects.toThrow(/not a Discogs host/);
    await expect(source.getImage!("not a url")).rejects.toThrow(/not a URL/);
    await expect(source.getImage!(`${sim.url}/releases/1`)).rejects.toThrow(
      /image answered 200 application\/json/,
    );
    await expect(source.getImage!(`${sim.url}/images/release/1/99.jpeg`)).rejects.toThrow(/image not found/);
  });
});
