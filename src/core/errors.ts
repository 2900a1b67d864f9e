/**
 * Typed errors. Each class has a literal `name`, a message that starts with its component,
 * and an optional `cause`. HTTP status mapping lives in `src/http/errors.ts`.
 */

/** Base of every error this project throws on purpose. */
export abstract class MetadataError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The caller gave us something we cannot use: a bad path, a corrupt file, a bad field. */
export class InvalidInputError extends MetadataError {
  override readonly name = "InvalidInputError" as const;
  /** The field or path at fault, when there is one. */
  readonly field: string | undefined;
  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

/** The provider answered and had nothing (as Navidrome's ErrNotFound): not a fault. */
export class NotFoundError extends MetadataError {
  override readonly name: string = "NotFoundError";
}

/** A remote service failed, answered garbage, or was too slow. The pipeline degrades. */
export class UpstreamError extends MetadataError {
  override readonly name: string = "UpstreamError";
  /** The HTTP status of the failed call, when there was one. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** The environment's configuration is invalid. */
export class ConfigError extends MetadataError {
  override readonly name = "ConfigError" as const;
}

/** An LLM call failed or its answer failed validation twice. */
export class LlmError extends UpstreamError {
  override readonly name = "LlmError" as const;
  /** Requests sent to the provider before giving up (retries included), when known. */
  readonly calls: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number; calls?: number }) {
    super(message, options);
    this.calls = options?.calls;
  }
}

/** Work was cancelled by an AbortSignal or a deadline. */
export class AbortedError extends MetadataError {
  override readonly name = "AbortedError" as const;
}

/** What `fetch` answers, or null when the catalogue has no such thing (any other fault is thrown). */
export async function nullIfNotFound<T>(fetch: () => Promise<T>): Promise<T | null> {
  try {
    return await fetch();
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Turns any thrown value into a short, secret-free reason for diagnostics. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Audio cannot be analysed here at all: no decoder is installed (not the file's fault). */
export class AudioUnavailableError extends MetadataError {
  override readonly name = "AudioUnavailableError" as const;
}
