/** The CLI's ETA counts the wait the Discogs budget imposes (#24 item 10c). */
import { describe, expect, it } from "vitest";
import { estimateEta } from "../../src/cli/io.js";

const status = (budgetWaitMs: number, requests: number) => ({ budgetWaitMs, budgetPerMinute: 60, requests });

describe("estimateEta", () => {
  it("adds the budget's present wait to the steady rate's time for the requests left", () => {
    // 10 of 100 done in 10 s with 20 requests: 90 tracks x 2 requests at 60/min is about 179 s, plus
    // a full window's wait after a 429.
    expect(estimateEta(10, 100, 10, status(0, 20))).toBeCloseTo(179, 0);
    expect(estimateEta(10, 100, 10, status(45_000, 20))).toBeCloseTo(224, 0);
  });

  it("keeps the observed pace when it is slower than the budget", () => {
    expect(estimateEta(10, 100, 1000, status(0, 20))).toBe(9000);
  });

  it("estimates from the budget before the first answer, and gives none without a budget", () => {
    expect(estimateEta(0, 30, 0, status(30_000, 0))).toBeCloseTo(89, 0);
    expect(estimateEta(0, 30, 5, { budgetWaitMs: 0, budgetPerMinute: null, requests: 0 })).toBeNull();
    expect(estimateEta(3, 30, 6, { budgetWaitMs: 0, budgetPerMinute: null, requests: 0 })).toBe(54);
  });
});
