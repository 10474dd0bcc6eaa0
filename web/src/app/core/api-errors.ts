import { HttpErrorResponse } from '@angular/common/http';
import { ApiErrors } from './models';

/**
 * Turns a failed API call into form errors.
 * - 400 with a DRF body `{"field": ["msg"], "non_field_errors": ["msg"]}` → per-field messages;
 *   `{"detail": "…"}` → a form-level message.
 * - 429 → "Too many attempts, try again in N s" from Retry-After (seconds or an HTTP date).
 * - network failure, 5xx → a form-level message.
 */
export function toApiErrors(err: unknown, now: number = Date.now()): ApiErrors {
  const out: ApiErrors = { fields: {}, nonField: [] };
  if (!(err instanceof HttpErrorResponse)) {
    out.nonField.push('Something went wrong. Please try again.');
    return out;
  }
  if (err.status === 429) {
    const seconds = retryAfterSeconds(err.headers?.get('Retry-After') ?? null, now);
    out.throttledUntil = now + seconds * 1000;
    out.nonField.push(throttleMessage(seconds));
    return out;
  }
  if (err.status === 0) {
    out.nonField.push("Can't reach the server. Check your connection and try again.");
    return out;
  }
  const body = parseBody(err.error);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const messages = toMessages(value);
      if (!messages.length) continue;
      if (key === 'non_field_errors' || key === 'detail') out.nonField.push(...messages);
      else out.fields[key] = messages;
    }
  }
  if (!out.nonField.length && !Object.keys(out.fields).length) {
    out.nonField.push(
      err.status >= 500
        ? `The server had a problem (${err.status}). Please try again.`
        : `The request failed (${err.status}). Please try again.`,
    );
  }
  return out;
}

/** Seconds to wait from a Retry-After header value; 60 when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number {
  if (header == null || header.trim() === '') return 60;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Math.max(1, parseInt(trimmed, 10));
  const date = Date.parse(trimmed);
  if (!Number.isNaN(date)) return Math.max(1, Math.ceil((date - now) / 1000));
  return 60;
}

export function throttleMessage(seconds: number): string {
  return `Too many attempts, try again in ${seconds} s`;
}

function parseBody(body: unknown): unknown {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return null;
    }
  }
  return body;
}

function toMessages(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
  return [];
}
