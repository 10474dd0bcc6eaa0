import { Injectable, OnDestroy, inject } from '@angular/core';
import { Socket } from 'ngx-socket-io';
import { BehaviorSubject, Observable, Subject, distinctUntilChanged, of, switchMap, timer } from 'rxjs';
import { Ack, AckFailure, LoggedOut, NgAction, OnlineUpdate, Ping, RoomUpdate, ServerError, WatchStates } from './models';
import { TokenStorage } from './token-storage';

/** What the connection badge says. */
export type ConnectionStatus = 'connected' | 'reconnecting' | 'offline';

export interface ConnectionState {
  status: ConnectionStatus;
  socketId: string | null;
  /** Reconnection attempt number while reconnecting (0 otherwise). */
  attempt: number;
  /** Last reason the socket went down (socket.io's disconnect reason or connect_error message). */
  reason: string | null;
}

/** The bits of a socket.io-client `Socket` (and its Manager) this service uses; a fake can stand in. */
export interface RawSocket {
  id?: string;
  active: boolean;
  connected: boolean;
  /** socket.io-client 4.6+: this CONNECT recovered the previous session (rooms and watch set kept). */
  recovered?: boolean;
  auth: unknown;
  io: {
    on(event: string, fn: (...args: any[]) => void): unknown;
    off(event: string, fn?: (...args: any[]) => void): unknown;
  };
  on(event: string, fn: (...args: any[]) => void): unknown;
  off(event: string, fn?: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  connect(): unknown;
}

/** Delay before reconnecting ourselves when socket.io-client gave up (server refused or disconnected us). */
const MANUAL_RETRY_MS = [1000, 2000, 5000, 10000, 30000];

/** How long a `presence:*` event waits for its ack before it counts as failed (`timeout`). */
export const ACK_TIMEOUT_MS = 10_000;

/** Waits before sending again an event refused as `unauthorized` (the socket's bind may be in progress). */
export const UNAUTHORIZED_RETRY_MS = [250, 1000, 2000];

/**
 * The one Socket.IO connection of the app (ngx-socket-io, path `/websocket/`, default transports:
 * long-polling first, then the upgrade).
 *
 * - Connects at app start (anonymous is allowed); `auth` is a function, so each (re)connect carries the
 *   token in storage at that moment. socket.io-client reconnects forever on transport failures; when the
 *   server refuses the CONNECT (bad token) or disconnects us, it stops — this service then retries itself.
 * - Answers every `server-action:ping` with the original pong
 *   `ng-action {action: 'pong', socket_id, token, seq}`, whether or not anyone subscribes.
 * - Exposes the server events and the connection state as observables.
 * - Sends the `presence:*` events with an ack (`request`), only while connected: what is not sent is sent
 *   again by the rooms and contacts effects after the next CONNECT.
 */
@Injectable({ providedIn: 'root' })
export class PresenceSocket implements OnDestroy {
  private readonly wrapper = inject(Socket);
  private readonly tokens = inject(TokenStorage);
  private readonly raw = this.wrapper.ioSocket as unknown as RawSocket;

  private readonly state = new BehaviorSubject<ConnectionState>({
    status: 'offline',
    socketId: null,
    attempt: 0,
    reason: null,
  });
  private readonly pings = new Subject<Ping>();
  private readonly updates = new Subject<OnlineUpdate>();
  private readonly loggedOut = new Subject<LoggedOut>();
  private readonly errors = new Subject<ServerError>();
  private readonly statsEvents = new Subject<unknown>();
  private readonly roomUpdates = new Subject<RoomUpdate>();
  private readonly watchUpdates = new Subject<WatchStates>();
  private readonly rejected = new Subject<string>();
  private readonly cleanups: Array<() => void> = [];
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private manualRetries = 0;
  private started = false;

  /** Connection state for the badge: connected / reconnecting / offline. */
  readonly state$: Observable<ConnectionState> = this.state.pipe(
    distinctUntilChanged(
      (a, b) => a.status === b.status && a.socketId === b.socketId && a.attempt === b.attempt,
    ),
  );
  readonly ping$: Observable<Ping> = this.pings.asObservable();
  readonly userOnline$: Observable<OnlineUpdate> = this.updates.asObservable();
  readonly loggedOut$: Observable<LoggedOut> = this.loggedOut.asObservable();
  readonly error$: Observable<ServerError> = this.errors.asObservable();
  readonly stats$: Observable<unknown> = this.statsEvents.asObservable();
  /** `presence:update` (rooms this socket joined). */
  readonly roomUpdate$: Observable<RoomUpdate> = this.roomUpdates.asObservable();
  /** `presence:watch_update` (users this socket watches). */
  readonly watchUpdate$: Observable<WatchStates> = this.watchUpdates.asObservable();
  /** The server refused the CONNECT (e.g. `invalid token`): the stored token may be dead. */
  readonly rejected$: Observable<string> = this.rejected.asObservable();

  constructor() {
    // Every (re)connect presents the token stored at that moment; none → anonymous.
    this.raw.auth = (cb: (data: object) => void) => {
      const token = this.tokens.get();
      cb(token ? { token } : {});
    };

    this.listen(this.raw, 'server-action:ping', (ping: Ping) => {
      this.pong(ping);
      this.pings.next(ping ?? {});
    });
    this.listen(this.raw, 'server-action:update_user_online', (u: OnlineUpdate) => this.updates.next(u));
    this.listen(this.raw, 'server-action:logged_out', (p: LoggedOut) => this.loggedOut.next(p ?? {}));
    this.listen(this.raw, 'server-action:error', (e: ServerError) => this.errors.next(e ?? {}));
    this.listen(this.raw, 'server-action:stats', (s: unknown) => this.statsEvents.next(s));
    // With connection-state recovery these carry an offset as a last argument: only the first is ours.
    this.listen(this.raw, 'presence:update', (u: RoomUpdate) => {
      if (u && typeof u === 'object') this.roomUpdates.next(u);
    });
    this.listen(this.raw, 'presence:watch_update', (u: WatchStates) => {
      if (u && typeof u === 'object') this.watchUpdates.next(u);
    });

    this.listen(this.raw, 'connect', () => {
      this.manualRetries = 0;
      this.setState({ status: 'connected', socketId: this.raw.id ?? null, attempt: 0, reason: null });
    });
    this.listen(this.raw, 'disconnect', (reason: string) => {
      if (this.raw.active) {
        this.setState({ status: 'reconnecting', socketId: null, attempt: 0, reason });
      } else {
        this.setState({ status: 'offline', socketId: null, attempt: 0, reason });
        // 'io server disconnect': socket.io-client will not come back on its own.
        if (reason !== 'io client disconnect') this.scheduleManualRetry();
      }
    });
    this.listen(this.raw, 'connect_error', (err: Error & { data?: unknown }) => {
      const message = err?.message ?? 'connect_error';
      if (this.raw.active) {
        // Transport failure: the Manager retries with backoff.
        this.setState({ ...this.state.value, status: 'reconnecting', socketId: null, reason: message });
      } else {
        // The server refused the CONNECT (middleware error): socket.io-client does not retry.
        this.setState({ status: 'offline', socketId: null, attempt: 0, reason: message });
        this.rejected.next(message);
        this.scheduleManualRetry();
      }
    });
    this.listen(this.raw.io, 'reconnect_attempt', (attempt: number) => {
      this.setState({ ...this.state.value, status: 'reconnecting', socketId: null, attempt });
    });
    this.listen(this.raw.io, 'reconnect', () => {
      this.setState({ status: 'connected', socketId: this.raw.id ?? null, attempt: 0, reason: null });
    });
  }

  /** Opens the connection (called once at app start). */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.raw.connected) {
      this.setState({ status: 'connected', socketId: this.raw.id ?? null, attempt: 0, reason: null });
      return;
    }
    this.setState({ ...this.state.value, status: 'reconnecting' });
    this.raw.connect();
  }

  /** Binds the socket right after an HTTP login. */
  login(token: string): void {
    this.send({ action: 'login', token });
  }

  /** Unbinds the socket (logout in this tab). */
  logout(): void {
    this.send({ action: 'logout' });
  }

  /** Answer to `server-action:ping`: the original SPA's pong, with the token in storage now (or null). */
  pong(ping: Ping | null | undefined): void {
    const msg: NgAction = {
      action: 'pong',
      socket_id: this.raw.id ?? null,
      token: this.tokens.get(),
    };
    if (ping && typeof ping.seq === 'number') msg.seq = ping.seq;
    this.send(msg);
  }

  get snapshot(): ConnectionState {
    return this.state.value;
  }

  /** Whether the current connection recovered the previous one's session (its rooms and watch set). */
  get recovered(): boolean {
    return this.raw.connected && this.raw.recovered === true;
  }

  /**
   * `request`, sent again (after UNAUTHORIZED_RETRY_MS) while the answer is `unauthorized`: right after an
   * HTTP login the `ng-action login` goes first, but the server may still be binding the socket (it asks
   * the cluster for a place) when the next event arrives. The last answer is what comes out.
   */
  requestBound<T extends object>(event: string, payload: object): Observable<Ack<T>> {
    const attempt = (i: number): Observable<Ack<T>> =>
      this.request<T>(event, payload).pipe(
        switchMap((ack) =>
          !ack.ok && ack.code === 'unauthorized' && i < UNAUTHORIZED_RETRY_MS.length
            ? timer(UNAUTHORIZED_RETRY_MS[i]).pipe(switchMap(() => attempt(i + 1)))
            : of(ack),
        ),
      );
    return attempt(0);
  }

  /**
   * Sends a `presence:*` event with an ack callback; emits the answer once and completes (never errors).
   * Not connected: `{ok: false, code: 'offline'}` at once, nothing sent (socket.io-client would buffer it
   * and send it after the reconnect, when the effects send their own). No answer in `timeoutMs`:
   * `{ok: false, code: 'timeout'}`. Unsubscribing drops a late answer.
   */
  request<T extends object>(event: string, payload: object, timeoutMs: number = ACK_TIMEOUT_MS): Observable<Ack<T>> {
    return new Observable<Ack<T>>((sub) => {
      if (!this.raw.connected) {
        sub.next(failure('offline', 'Not connected to the server.'));
        sub.complete();
        return;
      }
      let done = false;
      const settle = (ack: Ack<T>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.next(ack);
        sub.complete();
      };
      const timer = setTimeout(() => settle(failure('timeout', 'The server did not answer.')), timeoutMs);
      this.raw.emit(event, payload, (answer: unknown) => settle(toAck<T>(answer)));
      return () => {
        done = true;
        clearTimeout(timer);
      };
    });
  }

  ngOnDestroy(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const off of this.cleanups.splice(0)) off();
  }

  private send(msg: NgAction): void {
    this.raw.emit('ng-action', msg);
  }

  private setState(next: ConnectionState): void {
    this.state.next(next);
  }

  private scheduleManualRetry(): void {
    if (this.retryTimer || !this.started) return;
    const delay = MANUAL_RETRY_MS[Math.min(this.manualRetries, MANUAL_RETRY_MS.length - 1)];
    this.manualRetries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.raw.connected && !this.raw.active) {
        this.setState({ ...this.state.value, status: 'reconnecting' });
        this.raw.connect();
      }
    }, delay);
  }

  private listen(target: Pick<RawSocket, 'on' | 'off'>, event: string, fn: (...args: any[]) => void): void {
    target.on(event, fn);
    this.cleanups.push(() => target.off(event, fn));
  }
}

function failure(code: string, message: string): AckFailure {
  return { ok: false, code, message };
}

/** An ack as the contract shapes it; anything else is `bad_ack`. */
export function toAck<T extends object>(answer: unknown): Ack<T> {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return failure('bad_ack', 'The server sent an unreadable answer.');
  const a = answer as { ok?: unknown; code?: unknown; message?: unknown };
  if (a.ok === true) return answer as Ack<T>;
  return failure(
    typeof a.code === 'string' && a.code ? a.code : 'unknown',
    typeof a.message === 'string' ? a.message : '',
  );
}
