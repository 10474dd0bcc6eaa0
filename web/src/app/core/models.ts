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
  /** Rich presence (CONTRACT.md "Status, idle, invisible"); absent from older servers. */
  status?: PresenceStatus;
  status_text?: string | null;
}

/** A user's presence status as others see it (`invisible` only in one's own `GET /api/me/`). */
export type PresenceStatus = 'online' | 'away' | 'dnd' | 'offline' | 'invisible';

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

/**
 * `GET /api/users/?page=N` → 200: DRF's PageNumberPagination over every account (by id, 50 a page).
 * `next` / `previous` are absolute URLs, or null on the last / first page.
 */
export interface UsersPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: User[];
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

// ---------- rooms and watchlists (CONTRACT.md "Rooms and watchlists") ----------

/** Room names the server accepts. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** Rooms open to every bound socket; any other room needs a room token the SPA cannot get. */
export const PUBLIC_ROOM_PREFIX = 'public:';
/** The most users one socket may watch (`too_many_watched` beyond). */
export const MAX_WATCHED = 1000;

export type RoomMode = 'list' | 'count';

/**
 * The answer to a `presence:*` event: `{ok: true, …}` or `{ok: false, code, message}`. Besides the server's
 * codes (`unauthorized`, `forbidden`, `bad_request`, `rate_limited`, `too_many_rooms`, `too_many_watched`),
 * the client makes `offline` (not sent: no connection), `timeout` (no answer) and `bad_ack` (unreadable).
 */
export type Ack<T extends object = object> = ({ ok: true } & T) | AckFailure;
export interface AckFailure {
  ok: false;
  code: string;
  message?: string;
}

/** `presence:join` → ack. `users` only in list mode. */
export interface JoinAck {
  room: string;
  mode: RoomMode;
  version: number;
  count: number;
  users?: User[];
}

/** `presence:update`: a diff in list mode, only the count in count mode (at most once a second). */
export interface RoomUpdate {
  room: string;
  mode?: RoomMode;
  version: number;
  count: number;
  joined?: User[];
  left?: number[];
  changed?: User[];
}

/** `GET /api/rooms/<room>/presence/` → 200. */
export interface RoomSnapshot {
  room: string;
  version: number;
  count: number;
  users?: User[];
}

/** One watched user's state: in the `presence:watch` ack and in `presence:watch_update`. */
export interface WatchedState {
  id: number;
  online: boolean;
  status?: PresenceStatus | null;
  /** RFC 3339, or null when never seen. */
  last_seen?: string | null;
}

/** `presence:watch` → ack, and `presence:watch_update`. */
export interface WatchStates {
  users: WatchedState[];
}
