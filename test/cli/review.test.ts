/**
 * `discmeta review` without a browser: the session's refusals (a row with nothing to accept, a release
 * that does not hold the files, a change while writing), what it restores from the review file, what it
 * refuses to overwrite, its arguments and its warning for a non-local address; and the readable
 * reasons and release references the page relies on.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { releaseIdOf } from "../../src/cli/review/server.js";
import { explainPenalties } from "../../src/core/score/explain.js";
import { parseReviewFile } from "../../src/core/tagging/review.js";
import { makeAudio, requireFfmpeg } from "../audio.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { captureCli } from "../helpers.js";
import { postReview, reviewState, settled, startReview } from "../review-harness.js";

const ROOT = mkdtempSync(join(tmpdir(), "discmeta-review-cli-"));
const LIB = join(ROOT, "Loose");
let sim: DiscogsSimulator;

const env = (reviewFile: string) => ({
  DISCMETA_CACHE_DIR: join(ROOT, "cache"),
  DISCOGS_USER_TOKEN: "test-token",
  DISCOGS_API_URL: sim.url,
  METADATA_MODE: "fast",
  REVIEW_FILE: reviewFile,
});

beforeAll(async () => {
  requireFfmpeg();
  sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
  mkdirSync(LIB, { recursive: true });
  makeAudio(LIB, "T. Rex - Metal Guru (Demo)", "mp3 (ID3v2.4)");
  makeAudio(LIB, "Nobody Known - Östermalm", "mp3 (ID3v2.4)");
});
afterAll(async () => {
  await sim?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

describe("the review session", () => {
  it("refuses what cannot be done, with a reason, and the page keeps working", async () => {
    const reviewFile = join(ROOT, "refusals.json");
    const r = await startReview(
      ["--min-recommendation", "strong", "--review-file", reviewFile, LIB],
      env(reviewFile),
    );
    try {
      const view = await settled(r);
      const nobody = view.rows.find((row) => row.match === null)!;
      const trex = view.rows.find((row) => row.match !== null)!;
      expect(trex.reason).toMatch(/medium, below strong/);
      expect(trex.candidates.map((c) => c.country)).toContain("Japan");
      expect(trex.candidates[0]!.url).toMatch(/^https:\/\/www\.discogs\.com\/release\/\d+$/);

      // Nothing to accept without a match.
      const accept = await postReview(r, `/api/rows/${nobody.id}/decision`, { choice: "accept" });
      expect(accept.status).toBe(409);
      expect(((await accept.json()) as { message: string }).message).toMatch(/no Discogs match to accept/);

      // A release that does not hold the track: refused, and said on the row.
      const wrong = await postReview(r, `/api/rows/${trex.id}/decision`, { choice: 3019921 });
      expect(wrong.status).toBe(409);
      const after = (await reviewState(r)).rows.find((row) => row.id === trex.id)!;
      expect(after.error).toMatch(/release 3019921/);
      expect(after.decision.kind).toBe("undecided");

      // A release typed as "r<id>" and a Discogs URL both work; undo leaves it undecided.
      const pick = trex.candidates.find((c) => c.country === "Japan")!.releaseId;
      expect((await postReview(r, `/api/rows/${trex.id}/decision`, { choice: `r${pick}` })).status).toBe(200);
      const chosen = (await reviewState(r)).rows.find((row) => row.id === trex.id)!;
      expect(chosen.decision).toEqual({ kind: "accept", releaseId: pick, auto: false });
      expect(chosen.match?.releaseId).toBe(pick);
      expect(chosen.files[0]!.changes.length).toBeGreaterThan(0);
      const undo = await postReview(r, `/api/rows/${trex.id}/decision`, { choice: "undecided" });
      expect(
        ((await undo.json()) as { rows: { id: string; decision: { kind: string } }[] }).rows.find(
          (x) => x.id === trex.id,
        )!.decision.kind,
      ).toBe("undecided");

      // Skip is saved at once, with the files it applies to.
      await postReview(r, `/api/rows/${nobody.id}/decision`, { choice: "skip" });
      const saved = parseReviewFile(readFileSync(reviewFile, "utf8"));
      expect(saved.items.find((i) => i.choice === "skip")?.files[0]).toMatch(
        /Nobody Known - Östermalm\.mp3$/,
      );

      // Applying with nothing accepted writes nothing; a cover for a row without one is a 404.
      const apply = await postReview(r, "/api/apply", {});
      expect(apply.status).toBe(202);
      const done = await settled(r, ["done"]);
      expect(done.applied).toEqual({ written: 0, unchanged: 0, failed: 0 });
      const cover = await fetch(`${r.origin}/api/rows/${nobody.id}/cover`, {
        headers: { "x-discmeta-token": r.token },
      });
      expect(cover.status).toBe(404);
    } finally {
      expect(await r.stop()).toBe(0);
    }
    expect(r.err()).toMatch(/review stopped: 1 undecided, 0 accepted, 1 skipped/);
  });

  it("restores the decisions a review file holds, and never overwrites a file that is not one", async () => {
    const reviewFile = join(ROOT, "restore.json");
    const first = await startReview(
      ["--min-recommendation", "strong", "--review-file", reviewFile, LIB],
      env(reviewFile),
    );
    const view = await settled(first);
    const trex = view.rows.find((row) => row.match !== null)!;
    const pick = trex.candidates.find((c) => c.country === "Japan")!.releaseId;
    await postReview(first, `/api/rows/${trex.id}/decision`, {
      choice: `https://www.discogs.com/release/${pick}-T-Rex-The-Slider`,
    });
    await first.stop();
    // A `tag --apply` of the same file would see the choice.
    expect(parseReviewFile(readFileSync(reviewFile, "utf8")).items.map((i) => i.choice)).toContain(pick);

    const again = await startReview(
      ["--min-recommendation", "strong", "--review-file", reviewFile, LIB],
      env(reviewFile),
    );
    const restored = (await settled(again)).rows.find((row) => row.id === trex.id)!;
    expect(restored.decision).toEqual({ kind: "accept", releaseId: pick, auto: false });
    await again.stop();

    const notReview = join(ROOT, "notes.json");
    writeFileSync(notReview, "my own notes");
    const third = await startReview(
      ["--min-recommendation", "strong", "--review-file", notReview, LIB],
      env(notReview),
    );
    const state = await settled(third);
    expect(state.error).toMatch(/decisions are not saved: .*notes\.json.* is not a review file/);
    await third.stop();
    expect(readFileSync(notReview, "utf8")).toBe("my own notes");
  });

  it("needs a folder, and warns when it serves beyond this machine", async () => {
    const c = captureCli(env(join(ROOT, "x.json")));
    expect(await runCli(["review"], c.io)).toBe(2);
    expect(c.err()).toMatch(/missing required argument 'paths'/);
    const r = await startReview(
      ["--host", "0.0.0.0", "--review-file", join(ROOT, "wide.json"), LIB],
      env(""),
    );
    expect(r.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/\?token=/);
    expect(r.err()).toMatch(/serving on 0\.0\.0\.0, not only this machine/);
    expect(await r.stop()).toBe(0);
  });

  it("--open starts the browser ($BROWSER) on the page's address", async () => {
    const opened = join(ROOT, "opened.txt");
    const browser = join(ROOT, "browser.sh");
    writeFileSync(browser, `#!/bin/sh\necho "$1" > "${opened}"\n`, { mode: 0o755 });
    const r = await startReview(["--open", "--review-file", join(ROOT, "open.json"), LIB], {
      ...env(""),
      BROWSER: browser,
    });
    for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((res) => setTimeout(res, 20));
    expect(readFileSync(opened, "utf8").trim()).toBe(r.url);
    expect(await r.stop()).toBe(0);
  });

  it("Ctrl-C while matching stops at once and loses nothing", async () => {
    const slow = await startDiscogsSimulator({
      rateLimit: { authenticated: 100_000 },
      faults: { latencyMs: 400 },
    });
    try {
      const r = await startReview(["--review-file", join(ROOT, "stop.json"), LIB], {
        ...env(""),
        DISCMETA_CACHE_DIR: mkdtempSync(join(ROOT, "cache-")),
        DISCOGS_API_URL: slow.url,
      });
      const started = Date.now();
      expect((await reviewState(r)).phase).toBe("matching");
      expect(await r.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(r.err()).toMatch(/stopping the review page/);
    } finally {
      await slow.close();
    }
  });
});

describe("what the page reads", () => {
  it("explains penalties in words, the largest first, without noise", () => {
    const reasons = explainPenalties({ year: 0.3, original: 0.8, duration: 0.5, title: 0.01, kind: 1 });
    expect(reasons.map((r) => r.text)).toEqual([
      "a compilation or unofficial release",
      "a reissue, not the original",
      "duration off by 11–20 s",
      "year off by one",
    ]);
    expect(reasons.map((r) => r.severity)).toEqual(["major", "major", "major", "minor"]);
    expect(explainPenalties({ duration: 0.25 })[0]!.text).toBe("duration off by 4–10 s");
    expect(explainPenalties({ duration: 0.8 })[0]!.text).toBe("duration off by 21–40 s");
    expect(explainPenalties({ duration: 1 })[0]!.text).toBe("duration off by more than 40 s");
    expect(
      explainPenalties({ year: 0.1, unverified: 1, missing: 0.2, unmatched: 0.7, other: 1 }).map(
        (r) => r.text,
      ),
    ).toEqual([
      "other differs",
      "tracklist not checked",
      "most files are not on its tracklist",
      "some of its tracks are not in the folder",
      "year is the master's, not this pressing's",
    ]);
  });

  it("reads a release from an id, r<id>, [r<id>] or a Discogs address, and nothing else", () => {
    expect(releaseIdOf("123")).toBe(123);
    expect(releaseIdOf(" r123 ")).toBe(123);
    expect(releaseIdOf("[r123]")).toBe(123);
    expect(releaseIdOf("https://www.discogs.com/release/3019941-Lord-Vicar-Funeral-Circle")).toBe(3019941);
    expect(releaseIdOf("https://www.discogs.com/fr/release/5-x")).toBe(5);
    expect(releaseIdOf("http://discogs.com/release/7/")).toBe(7);
    for (const bad of [
      "",
      "0",
      "abc",
      "https://evil.example/release/5",
      "12345678901",
      "/etc/passwd",
      "1; rm",
    ])
      expect(releaseIdOf(bad)).toBeNull();
  });
});
