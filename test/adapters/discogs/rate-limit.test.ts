/**
 * The in-process window limiter's admission (#24 item 2), on a clock the test moves: tracks admitted
 * with their requests reserved, refusals with a retry time promised to the track, and reservations
 * drawn down by the track's own requests.
 */
import { describe, expect, it } from "vitest";
import { createWindowLimiter, type Timing } from "../../../src/adapters/discogs/rate-limit.js";

function clock() {
  let t = 0;
  const advance = (ms: number) => {
    t += ms;
  };
  const timing: Timing = { now: () => t, sleep: async (ms) => advance(ms) };
  return { timing, advance };
}

describe("admission with reservations", () => {
  it("admits while the reserved requests fit, then promises each refused track a later time", () => {
    const { timing, advance } = clock();
    const l = createWindowLimiter({ limit: 4, windowMs: 1000, timing });
    const a = l.admit(2, 500, "a");
    const b = l.admit(2, 500, "b");
    expect(a.admitted && b.admitted).toBe(true);
    // Four reserved: nothing is free for a third track within half a second.
    const c = l.admit(2, 500, "c");
    expect(c).toEqual({ admitted: false, waitMs: 1000 });
    // The next refusal waits behind c's promise (c keeps room for 2 + 2 requests).
    const d = l.admit(2, 500, "d");
    expect(d.admitted).toBe(false);
    expect(!d.admitted && d.waitMs).toBeGreaterThan(1000);
    // Asking again too early gives the time left, not a new promise.
    advance(400);
    expect(l.admit(2, 500, "c")).toEqual({ admitted: false, waitMs: 600 });
    // At its time, c is admitted whatever arrived since.
    advance(600);
    expect(l.admit(2, 500, "c").admitted).toBe(true);
  });

  it("a track's own requests draw on its reservation, and release returns what it did not use", async () => {
    const { timing } = clock();
    const l = createWindowLimiter({ limit: 4, windowMs: 1000, timing });
    const a = l.admit(3, 0, "a");
    if (!a.admitted) throw new Error("not admitted");
    expect(l.waitMs(2)).toBeGreaterThan(0);
    await a.run(async () => {
      // Inside the track: its own reserved request waits for nothing.
      expect(l.waitMs(1)).toBe(0);
      (await l.acquire())();
    });
    a.release();
    // One request sent, the two unused ones returned: three of four slots free.
    expect(l.waitMs(3)).toBe(0);
    expect(l.waitMs(4)).toBeGreaterThan(0);
  });
});
