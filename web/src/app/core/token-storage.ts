import { Injectable } from '@angular/core';

/** Key of the auth token in localStorage (shared by all tabs of the origin). */
export const TOKEN_KEY = 'presenced.token';

/**
 * The auth token, kept in localStorage so a reload keeps the user logged in.
 * The socket's `auth` function and every pong read it from here, so they always carry the current token.
 */
@Injectable({ providedIn: 'root' })
export class TokenStorage {
  get(): string | null {
    try {
      return globalThis.localStorage?.getItem(TOKEN_KEY) || null;
    } catch {
      return null; // storage disabled (privacy mode): behave as logged out
    }
  }

  set(token: string): void {
    try {
      globalThis.localStorage?.setItem(TOKEN_KEY, token);
    } catch {
      /* ignore: the session then lasts as long as the page */
    }
  }

  clear(): void {
    try {
      globalThis.localStorage?.removeItem(TOKEN_KEY);
    } catch {
      /* ignore */
    }
  }
}
