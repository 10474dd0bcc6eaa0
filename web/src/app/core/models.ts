/** Wire types of the presenced API (see CONTRACT.md). */

/** A user object as the HTTP API and the socket events send it. */
export interface User {
  id: number;
  username: string;
  email?: string;
  is_online?: boolean;
  /** RFC 3339, or null when never seen. */
  last_seen?: string | null;
  date_joined?: string;
  /** Staff users get the operator page (server-action:stats). */
  is_staff?: boolean;
}

/** `POST /api-token-auth/` → 200. */
export interface LoginResponse {
  user: User;
  token: string;
  agent?: string;
}

/** `POST /api/register/` → 201. */
export interface RegisterResponse {
  user: User;
  token: string;
}

/** `GET /api/users/online/` → 200. */
export interface OnlineSnapshot {
  version: number;
  count: number;
  users: User[];
}

/** `server-action:update_user_online`. */
export interface OnlineUpdate {
  version: number;
  count: number;
  joined?: User[];
  left?: number[];
  /** Present in the first update a socket gets after binding: the full list. */
  users?: User[];
}

/** `server-action:ping`. */
export interface Ping {
  message?: string;
  seq?: number;
  ts?: number;
}

/** `server-action:logged_out`. */
export interface LoggedOut {
  reason?: 'logout' | 'token_expired' | string;
}

/** `server-action:error`. */
export interface ServerError {
  code?: string;
  message?: string;
}

/** Client → server `ng-action`. */
export type NgAction =
  | { action: 'pong'; socket_id: string | null; token: string | null; seq?: number }
  | { action: 'login'; token: string }
  | { action: 'logout' };

/**
 * Errors of a form submission, DRF-shaped: field name → messages, plus `non_field_errors`.
 * `throttledUntil` (epoch ms) is set on a 429 from the Retry-After header.
 */
export interface ApiErrors {
  fields: Record<string, string[]>;
  nonField: string[];
  throttledUntil?: number;
}
