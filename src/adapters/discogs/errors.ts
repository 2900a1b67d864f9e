/**
 * Discogs errors. Messages name the endpoint, never the token.
 */
import { NotFoundError, UpstreamError } from "../../core/errors.js";

/** 401 or 403: the token is missing, wrong or lacks rights, or the User-Agent was refused. */
export class DiscogsAuthError extends UpstreamError {
  override readonly name = "DiscogsAuthError" as const;
}

/** 404: the id does not exist. The provider answered and had nothing. */
export class DiscogsNotFoundError extends NotFoundError {
  override readonly name = "DiscogsNotFoundError" as const;
}

/** 429 that retries could not get past within the call's deadline. */
export class DiscogsRateLimitError extends UpstreamError {
  override readonly name = "DiscogsRateLimitError" as const;
}
