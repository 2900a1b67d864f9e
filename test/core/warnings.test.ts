import { describe, expect, it } from "vitest";
import { LlmError, UpstreamError } from "../../src/core/errors.js";
import { degradedOf } from "../../src/core/pipeline/cache-policy.js";
import type { StageRecord } from "../../src/core/schema.js";
import { errorCode, unreadableTags, WarningSchema } from "../../src/core/warnings.js";

const rec = (r: Partial<StageRecord>): StageRecord => ({
  stage: "discogs",
  outcome: "error",
  code: null,
  reason: null,
  ms: 1,
  ...r,
});
const now = { budgetWaitMs: 4200, circuitRetrySeconds: 17 };

describe("warnings and reasons as data", () => {
  it("gives a thrown error a bounded code", () => {
    expect(errorCode(new UpstreamError("discogs: search rate limited (429)", { status: 429 }))).toBe(
      "rate-limited",
    );
    expect(errorCode(new LlmError("llm: select failed (429)", { status: 429 }))).toBe("rate-limited");
    expect(errorCode(new UpstreamError("discogs: search answered 503", { status: 503 }))).toBe(
      "upstream-error",
    );
    expect(errorCode(new TypeError("x is undefined"))).toBe("error");
    expect(errorCode("a string")).toBe("error");
  });

  it("words an unreadable file's warning once, whatever the reader's prefix", () => {
    const w = unreadableTags("tags: cannot read x.mp3: not an audio file");
    expect(WarningSchema.parse(w)).toEqual({
      code: "unreadable-tags",
      stage: "input",
      message: "unreadable tags: cannot read x.mp3: not an audio file",
    });
  });

  it("says why an answer was cut short from the records' codes, not their words", () => {
    expect(degradedOf([rec({ outcome: "timeout", code: "deadline" })], now)).toEqual({
      reason: "deadline",
      retryAfterSeconds: 5,
    });
    expect(degradedOf([rec({ outcome: "skipped", code: "budget", reason: "anything" })], now)).toEqual({
      reason: "budget",
      retryAfterSeconds: 5,
    });
    expect(degradedOf([rec({ outcome: "skipped", code: "circuit-open" })], now)).toEqual({
      reason: "upstream",
      retryAfterSeconds: 17,
    });
    expect(degradedOf([rec({ code: "rate-limited", reason: "no 429 in these words" })], now)).toEqual({
      reason: "budget",
      retryAfterSeconds: 5,
    });
    expect(degradedOf([rec({ code: "upstream-error" })], now)).toEqual({
      reason: "upstream",
      retryAfterSeconds: null,
    });
    // A skip for a setting, or a miss, is the catalogue's settled answer: nothing was cut short.
    expect(
      degradedOf(
        [rec({ outcome: "skipped", code: "disabled" }), rec({ outcome: "miss", code: "not-found" })],
        now,
      ),
    ).toBeNull();
  });
});
