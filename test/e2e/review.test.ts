/**
 * `discmeta review` end to end in a real browser: Debian's chromium driven by playwright-core, the real
 * pipeline over the Discogs simulator (real dump data and response shapes), real audio files made with
 * ffmpeg, the real tag writer. The whole loop: match → review in the page → apply → a rerun shows
 * nothing to do; and the security rules, each with its own request.
 *
 * With DISCMETA_SCREENSHOTS=<dir>, the page is saved there in light and dark (docs/images).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMusicMetadataReader } from "../../src/adapters/tags/music-metadata.js";
import { CONTENT_SECURITY_POLICY, TOKEN_HEADER } from "../../src/cli/review/server.js";
import { parseReviewFile } from "../../src/core/tagging/review.js";
import { audioMd5, makeAudio, requireFfmpeg } from "../audio.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { type RunningReview, settled, startReview as start } from "../review-harness.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = mkdtempSync(join(tmpdir(), "discmeta-review-"));
const LIB = join(ROOT, "library");
const CACHE = join(ROOT, "cache");
const REVIEW_FILE = join(ROOT, "review.json");
const reader = createMusicMetadataReader();
let sim: DiscogsSimulator;
let browser: Browser;

type Running = RunningReview;

function startReview(args: string[] = []): Promise<Running> {
  return start(["--min-recommendation", "strong", "--review-file", REVIEW_FILE, ...args, LIB], {
    DISCMETA_CACHE_DIR: CACHE,
    DISCOGS_USER_TOKEN: "test-token",
    DISCOGS_API_URL: sim.url,
    METADATA_MODE: "fast",
  });
}

const FILES = {
  stockholm: [] as string[],
  vicar: [] as string[],
  trex: "",
  nobody: "",
  broken: "",
};

beforeAll(async () => {
  requireFfmpeg();
  if (!existsSync(CHROMIUM))
    throw new Error(`these tests need chromium at ${CHROMIUM}: apt-get install chromium`);
  sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  // A sure album: The Persuader – Stockholm (release 1).
  const a = join(LIB, "The Persuader - Stockholm (1999)");
  mkdirSync(a, { recursive: true });
  FILES.stockholm = [
    makeAudio(a, "01 - Östermalm", "mp3 (ID3v2.4)"),
    makeAudio(a, "02 - Vasastaden", "flac"),
  ];
  // An uncertain album: demo titles of Lord Vicar / Funeral Circle (three versions of one master).
  const b = join(LIB, "Lord Vicar - Lord Vicar, Funeral Circle");
  mkdirSync(b, { recursive: true });
  FILES.vicar = ["The Fear Of Being Crushed", "The Hexenhammer", "Burning A Sinner"].map((t, i) =>
    makeAudio(b, `0${i + 1} - ${t} (Demo)`, "mp3 (ID3v2.4)"),
  );
  // Loose files: an uncertain single (two pressings of The Slider), one nobody knows, a broken one.
  const c = join(LIB, "Loose");
  mkdirSync(c, { recursive: true });
  FILES.trex = makeAudio(c, "T. Rex - Metal Guru (Demo)", "ogg vorbis");
  FILES.nobody = makeAudio(c, "Nobody Known - Östermalm", "opus");
  FILES.broken = join(c, "Broken - Not Audio.mp3");
  writeFileSync(FILES.broken, Buffer.from("ID3\u0004\u0000garbage that is no MPEG stream at all"));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

async function openPage(r: Running, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(r.url);
  return page;
}

const rowOf = (page: Page, text: string) => page.locator("tr.row", { hasText: text });

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.DISCMETA_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: false });
}

describe("discmeta review in Chromium", () => {
  it("matches, shows each row, takes decisions by mouse and keyboard, applies, and a rerun has nothing to do", async () => {
    const md5 = [...FILES.stockholm, ...FILES.vicar, FILES.trex].map(audioMd5);
    const nobodyBytes = readFileSync(FILES.nobody);
    const r = await startReview(["--cover"]);
    const page = await openPage(r);
    // The token left the address bar for a cookie.
    expect(page.url()).not.toContain("token=");
    const view = await settled(r);
    expect(view.rows).toHaveLength(5);
    await expect
      .poll(() => page.locator("#tally").textContent())
      .toMatch(/3 need review · 1 will change · 0 unchanged · 1 failed/);

    // Least certain first: the rows without a match lead, the sure album comes last.
    const order = await page
      .locator("tr.row")
      .evaluateAll((rows) =>
        rows.map((r) => r.querySelector("[data-recommendation]")?.getAttribute("data-recommendation")),
      );
    expect(order.at(-1)).toBe("strong");
    expect(order.slice(0, 2)).toEqual(["none", "none"]);

    // The sure album: its cover, its match in words, the diff per file, accepted as tag --write would.
    const sure = rowOf(page, "Stockholm");
    await expect.poll(() => sure.locator(".badge").textContent()).toBe("Sure");
    await expect.poll(() => sure.locator(".decision").textContent()).toBe("Accepted (sure match)");
    await expect
      .poll(() =>
        sure
          .locator("img.cover")
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await sure.click();
    const detail = page.locator("tr.detail");
    await expect
      .poll(() => detail.locator('[data-section="diff"]').textContent())
      .toMatch(/album.*Stockholm/);
    await expect
      .poll(() => detail.locator('[data-section="diff"]').textContent())
      .toMatch(/discogsReleaseId.*1/);
    await screenshot(page, "review-light.png");

    // The uncertain album: its reasons in words; the user enters another pressing by its Discogs URL.
    const vicar = rowOf(page, "Lord Vicar");
    await vicar.click();
    await expect.poll(() => vicar.locator(".badge").textContent()).toBe("Likely");
    await expect
      .poll(() => detail.locator('[data-section="reasons"]').textContent())
      .toMatch(/fit their tracks/);
    await page.keyboard.press("i");
    await page.keyboard.type("https://www.discogs.com/release/3019941-Lord-Vicar-Funeral-Circle");
    await page.keyboard.press("Enter");
    await expect.poll(() => vicar.locator(".decision").textContent()).toBe("Accepted: release 3019941");
    await expect.poll(() => vicar.textContent()).toMatch(/r3019941/);

    // The uncertain single: candidate 2 (the other pressing of The Slider), by its key.
    const trex = rowOf(page, "Metal Guru");
    await trex.click();
    await expect.poll(() => detail.locator('[data-section="candidates"] tbody tr').count()).toBe(2);
    const second = await detail
      .locator('[data-section="candidates"] tbody tr')
      .nth(1)
      .getAttribute("data-release");
    await expect.poll(() => detail.locator('[data-section="candidates"]').textContent()).toMatch(/Japan/);
    await page.keyboard.press("2");
    await expect.poll(() => trex.locator(".decision").textContent()).toBe(`Accepted: release ${second}`);

    // The single nobody knows: skipped with "s" after moving onto it with j/k.
    await rowOf(page, "Nobody Known").click();
    await page.keyboard.press("s");
    await expect.poll(() => rowOf(page, "Nobody Known").locator(".decision").textContent()).toBe("Skipped");

    // The broken file is a failed row with its reason, under the "Failed" filter.
    await page.locator('[data-filter="failed"]').click();
    await expect.poll(() => page.locator("tr.row").count()).toBe(1);
    await page.locator("tr.row").click();
    await expect
      .poll(() => page.locator("tr.detail").textContent())
      .toMatch(/Broken - Not Audio\.mp3.*(cannot|corrupt|read|invalid)/i);
    await page.locator('[data-filter="all"]').click();

    // Decisions are saved as they are made.
    const saved = parseReviewFile(readFileSync(REVIEW_FILE, "utf8"));
    const choices = Object.fromEntries(saved.items.map((i) => [i.files.length, i.choice]));
    expect(choices[3]).toBe(3019941);
    expect(saved.items.find((i) => i.files[0] === FILES.nobody)?.choice).toBe("skip");

    // Apply: 2 + 3 + 1 files written; the page tallies them.
    await expect.poll(() => page.locator("#apply").textContent()).toBe("Apply 3 accepted");
    await page.keyboard.press("w");
    await expect
      .poll(() => page.locator("#applied").textContent(), { timeout: 30_000 })
      .toBe("Applied: 6 written, 0 unchanged, 0 failed");
    await expect.poll(() => page.locator("#empty").getAttribute("data-settled")).toBe("true");
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.context().close();
    expect(await r.stop()).toBe(0);

    // What was written, read back with music-metadata; the audio is untouched; the rest is as it was.
    const release = async (p: string) => (await reader.readValues(p)).values.discogsReleaseId;
    for (const f of FILES.stockholm) expect(await release(f)).toEqual(["1"]);
    for (const f of FILES.vicar) expect(await release(f)).toEqual(["3019941"]);
    expect(await release(FILES.trex)).toEqual([second]);
    expect((await reader.readValues(FILES.stockholm[0]!)).values.album).toEqual(["Stockholm"]);
    expect([...FILES.stockholm, ...FILES.vicar, FILES.trex].map(audioMd5)).toEqual(md5);
    expect(readFileSync(FILES.nobody).equals(nobodyBytes)).toBe(true);

    // A rerun: nothing to decide, nothing to write.
    const again = await startReview();
    const page2 = await openPage(again, "dark");
    const view2 = await settled(again);
    expect(view2.tally.undecided).toBe(0);
    expect(view2.rows.filter((row) => row.status === "change")).toEqual([]);
    await expect.poll(() => page2.locator("#empty").getAttribute("data-settled")).toBe("true");
    await expect.poll(() => page2.locator("#apply").isDisabled()).toBe(true);
    await rowOf(page2, "Stockholm").click();
    await screenshot(page2, "review-dark.png");
    await page2.context().close();
    expect(await again.stop()).toBe(0);
  }, 180_000);
});

describe("the review server's security rules", () => {
  let r: Running;
  let rowId: string;
  beforeAll(async () => {
    r = await startReview();
    rowId = (await settled(r)).rows[0]!.id;
  }, 60_000);
  afterAll(async () => {
    await r?.stop();
  });

  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${r.origin}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("serves nothing without the session token, and a wrong token is refused", async () => {
    expect((await fetch(`${r.origin}/api/state`)).status).toBe(403);
    expect((await fetch(`${r.origin}/`)).status).toBe(403);
    expect((await fetch(`${r.origin}/?token=wrong`, { redirect: "manual" })).status).toBe(403);
    const ok = await fetch(`${r.origin}/?token=${r.token}`, { redirect: "manual" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
  });

  it("refuses a change without the token header, even with the cookie", async () => {
    const res = await post(
      `/api/rows/${rowId}/decision`,
      { choice: "skip" },
      { cookie: `discmeta_review=${r.token}`, origin: r.origin },
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/token/);
  });

  it("refuses a foreign Origin, a missing Origin and a foreign Host (DNS rebinding)", async () => {
    const auth = { [TOKEN_HEADER]: r.token };
    expect(
      (
        await post(
          `/api/rows/${rowId}/decision`,
          { choice: "skip" },
          { ...auth, origin: "http://evil.example" },
        )
      ).status,
    ).toBe(403);
    expect((await post(`/api/rows/${rowId}/decision`, { choice: "skip" }, auth)).status).toBe(403);
    const port = new URL(r.origin).port;
    const rebound = await new Promise<number>((resolve, reject) => {
      // fetch may not set Host; a raw request can, as a rebinding page's would arrive.
      import("node:http").then(({ request }) => {
        const req = request(
          { host: "127.0.0.1", port, path: "/api/state", headers: { host: `evil.example:${port}`, ...auth } },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.on("error", reject);
        req.end();
      });
    });
    expect(rebound).toBe(403);
  });

  it("names files only by the session's rows: a path or an unknown row is refused", async () => {
    const ok = { [TOKEN_HEADER]: r.token, origin: r.origin };
    const withPath = await post(
      `/api/rows/${rowId}/decision`,
      { choice: "accept", files: ["/etc/passwd"] },
      ok,
    );
    expect(withPath.status).toBe(400);
    const traversal = await post(
      `/api/rows/${encodeURIComponent("../../etc/passwd")}/decision`,
      { choice: "skip" },
      ok,
    );
    expect(traversal.status).toBe(404);
    expect((await post("/api/rows/nope/decision", { choice: "skip" }, ok)).status).toBe(404);
    expect((await post(`/api/rows/${rowId}/decision`, { choice: "rm -rf" }, ok)).status).toBe(400);
    expect((await post("/api/apply", { files: ["/etc/passwd"] }, ok)).status).toBe(400);
  });

  it("sends a strict Content-Security-Policy and loads nothing remote", async () => {
    const res = await fetch(`${r.origin}/app.js`);
    expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const page = await fetch(`${r.origin}/`, { headers: { cookie: `discmeta_review=${r.token}` } });
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\/(?!www\.discogs\.com)/);
    expect(html).not.toMatch(/<script>(?!<)/);
    const js = await res.text();
    expect(js).not.toMatch(/\.innerHTML\s*=|\beval\(|new Function/);
  });
});
