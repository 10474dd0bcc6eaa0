import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { retryAfterSeconds, toApiErrors } from './api-errors';

const err = (status: number, error: unknown, headers?: Record<string, string>) =>
  new HttpErrorResponse({ status, error, headers: new HttpHeaders(headers) });

describe('toApiErrors', () => {
  it('maps DRF field errors and non_field_errors', () => {
    expect(toApiErrors(err(400, { username: ['A user with that username already exists.'], email: 'Enter a valid email address.' }))).toEqual({
      fields: { username: ['A user with that username already exists.'], email: ['Enter a valid email address.'] },
      nonField: [],
    });
    expect(toApiErrors(err(400, { non_field_errors: ['Unable to log in with provided credentials.'] }))).toEqual({
      fields: {},
      nonField: ['Unable to log in with provided credentials.'],
    });
    expect(toApiErrors(err(400, '{"detail": "JSON parse error - x"}')).nonField).toEqual(['JSON parse error - x']);
  });

  it('429 → countdown message from Retry-After', () => {
    const e = toApiErrors(err(429, { detail: 'throttled' }, { 'Retry-After': '30' }), 1000);
    expect(e).toEqual({ fields: {}, nonField: ['Too many attempts, try again in 30 s'], throttledUntil: 31000 });
  });

  it('network errors and 5xx', () => {
    expect(toApiErrors(err(0, null)).nonField[0]).toContain("Can't reach the server");
    expect(toApiErrors(err(502, null)).nonField[0]).toContain('502');
    expect(toApiErrors(new Error('x')).nonField.length).toBe(1);
  });

  it('retryAfterSeconds reads seconds and HTTP dates', () => {
    expect(retryAfterSeconds('12')).toBe(12);
    expect(retryAfterSeconds(new Date(61_000).toUTCString(), 1_000)).toBe(60);
    expect(retryAfterSeconds(null)).toBe(60);
    expect(retryAfterSeconds('soon')).toBe(60);
  });
});
