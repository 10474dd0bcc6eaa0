import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Store } from '@ngrx/store';
import { catchError, throwError } from 'rxjs';
import { sessionActions } from '../state/session/session.actions';
import { TokenStorage } from './token-storage';

/** Endpoints that take no token: sending a stale one there would make DRF answer 401. */
const PUBLIC_ENDPOINTS = ['/api-token-auth/', '/api/register/'];

/** Same-origin API paths only: the token never leaves for another host. */
export function isApiUrl(url: string): boolean {
  let path = url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.startsWith('//')) {
    const origin = globalThis.location?.origin;
    if (!origin) return false;
    let parsed: URL;
    try {
      parsed = new URL(url, origin);
    } catch {
      return false;
    }
    if (parsed.origin !== origin) return false;
    path = parsed.pathname;
  }
  return path.startsWith('/api/') || path.startsWith('/api-token-auth/');
}

function isPublic(url: string): boolean {
  return PUBLIC_ENDPOINTS.some((p) => url === p || url.startsWith(p + '?') || url.endsWith(p));
}

/**
 * Adds `Authorization: Token <t>` to API calls, and turns a 401 from any authenticated API call into a
 * clean logout (token and store cleared, back to the login form).
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  if (!isApiUrl(req.url)) return next(req);
  const store = inject(Store);
  const token = inject(TokenStorage).get();
  const publicEndpoint = isPublic(req.url);
  const authed = !publicEndpoint && (req.headers.has('Authorization') || !!token);
  const outgoing =
    !publicEndpoint && token && !req.headers.has('Authorization')
      ? req.clone({ setHeaders: { Authorization: `Token ${token}` } })
      : req;
  return next(outgoing).pipe(
    catchError((err: unknown) => {
      // The logout call revokes a token we already dropped: its 401 means nothing more to do.
      if (err instanceof HttpErrorResponse && err.status === 401 && authed && !req.url.includes('/api/logout/')) {
        store.dispatch(sessionActions.unauthorized());
      }
      return throwError(() => err);
    }),
  );
};
