/**
 * Requests and answers of the HTTP API (API Gateway payload format 2.0),
 * and the validation every route's input goes through.
 */

import { describeValue } from '../internal/describe.lambda-shared';

export interface HttpEvent {
  readonly routeKey: string;
  readonly rawPath?: string;
  readonly headers?: Record<string, string | undefined>;
  readonly queryStringParameters?: Record<string, string | undefined>;
  readonly pathParameters?: Record<string, string | undefined>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly cookies?: string[];
  readonly requestContext?: { readonly domainName?: string; readonly http?: { readonly sourceIp?: string } };
}

export interface HttpResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** Text, or bytes in base64 with `isBase64Encoded`, which API Gateway sends on decoded. */
  readonly body: string;
  readonly isBase64Encoded?: boolean;
  readonly cookies?: string[];
}

/** A refusal of something the client sent: answered with its status and a JSON error, never a 5xx. */
export class ApiError extends Error {
  /** `details`: more of the refusal for the client, answered beside the code and message. */
  constructor(readonly statusCode: number, readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
  }
}

export function jsonResult(statusCode: number, body: unknown, cookies?: string[]): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
    ...(cookies ? { cookies } : {}),
  };
}

export function errorResult(error: ApiError): HttpResult {
  return jsonResult(error.statusCode, { error: { ...error.details, code: error.code, message: error.message } });
}

/** The raw body as text (API Gateway base64-encodes bodies it considers binary). */
export function rawBody(event: HttpEvent): string {
  if (event.body === undefined || event.body === null) {
    return '';
  }
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

const MAX_BODY_BYTES = 16 * 1024;

/** The JSON object a route expects as its body. */
export function jsonBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): Record<string, unknown> {
  const raw = rawBody(event);
  if (Buffer.byteLength(raw) > maxBytes) {
    throw new ApiError(413, 'body-too-large', `the body must be at most ${maxBytes} bytes`);
  }
  const type = header(event, 'content-type') ?? '';
  if (raw !== '' && !/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported-media-type', `the body must be application/json, got ${JSON.stringify(type || 'no content type')}`);
  }
  if (raw === '') {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'invalid-json', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, 'invalid-body', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** Refuses fields a route does not know, so a typo is not silently ignored. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new ApiError(400, 'unknown-field', `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed.join(', ')}`);
  }
}

/**
 * A code unit of a surrogate pair that has no partner: a string holding one
 * is not well-formed Unicode (`String.prototype.isWellFormed`, which the
 * ES2022 lib this package compiles against does not declare). In a `u`
 * regular expression a pair is one code point, so only lone halves match.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A text field of a request body: every string a route accepts goes through
 * here. Refuses what is not a string, control characters, lone surrogates
 * (which JSON's `\uD800` escapes can carry, and which no store or client
 * should have to cope with), and lengths outside `min` to `max`.
 */
export function text(body: Record<string, unknown>, name: string, options: { min?: number; max: number; required: boolean }): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (options.required) {
      throw new ApiError(400, 'missing-field', `${name} is required`);
    }
    return undefined;
  }
  const lone = typeof value === 'string' ? LONE_SURROGATE.exec(value) : null;
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    throw new ApiError(400, 'invalid-text', `${name} must be well-formed Unicode text, but holds a lone surrogate (U+${unit}) at index ${lone.index}`);
  }
  const min = options.min ?? 0;
  if (typeof value !== 'string' || value.length < min || value.length > options.max || /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(value)) {
    throw new ApiError(400, 'invalid-field', `${name} must be text of ${min} to ${options.max} characters, got ${describe(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(body: Record<string, unknown>, name: string, choices: readonly T[], required: boolean): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) {
      throw new ApiError(400, 'missing-field', `${name} is required`);
    }
    return undefined;
  }
  if (!choices.includes(value as T)) {
    throw new ApiError(400, 'invalid-field', `${name} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ApiError(400, 'invalid-field', `${name} must be a whole number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** A value for a message: JSON, cut to 60 characters. */
export function describe(value: unknown): string {
  return describeValue(value, 60);
}
