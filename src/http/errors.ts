/**
 * Maps errors to HTTP statuses, in one place. Bad input is 4xx with a message that names the field;
 * anything else is a 500 without a stack trace.
 */
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { InvalidInputError, UpstreamError } from "../core/errors.js";

/** The body of every error response. */
export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Turns any error into a status and a safe body. */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  const make = (status: number, message: string, field?: string) => ({
    status,
    body: { error: REASONS[status] ?? "Error", message, ...(field ? { field } : {}) },
  });
  if (err instanceof InvalidInputError) return make(400, err.message, err.field);
  // A backing service (Redis for jobs) is down: the client may retry; the message names the service only.
  if (err instanceof UpstreamError)
    return make(503, `${err.message.split(":")[0]}: a backing service is unavailable; retry later`);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const first = err.validation[0];
    const field = first?.instancePath.replace(/^\//, "").replace(/\//g, ".") || undefined;
    return make(400, `${field ?? "request"}: ${first?.message ?? "invalid"}`, field);
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
    case "FST_REQ_FILE_TOO_LARGE":
    case "FST_FILES_LIMIT":
    case "FST_FIELDS_LIMIT":
    case "FST_PARTS_LIMIT":
      return make(413, "request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return make(415, "send application/json or multipart/form-data");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return make(400, "body: a JSON object is required");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return make(400, "body: not valid JSON");
    case "FST_INVALID_MULTIPART_CONTENT_TYPE":
      return make(415, "multipart/form-data expected");
  }
  if (err instanceof SyntaxError || e.code === "FST_ERR_CTP_INVALID_JSON")
    return make(400, "body: not valid JSON");
  const status = e.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500)
    return make(status, e.message ?? "bad request");
  return make(500, "internal error; the request id is in the logs");
}
