import { TestBed } from '@angular/core/testing';
import { Socket } from 'ngx-socket-io';
import { firstValueFrom, take, toArray } from 'rxjs';
import { FakeRawSocket, fakeWrappedSocket } from '../../testing/fake-socket';
import { PresenceSocket } from './presence-socket';
import { TOKEN_KEY } from './token-storage';

describe('PresenceSocket', () => {
  let raw: FakeRawSocket;
  let service: PresenceSocket;

  beforeEach(() => {
    localStorage.clear();
    raw = new FakeRawSocket();
    TestBed.configureTestingModule({ providers: [{ provide: Socket, useValue: fakeWrappedSocket(raw) }] });
    service = TestBed.inject(PresenceSocket);
  });

  afterEach(() => {
    vi.useRealTimers();
    localStorage.clear();
  });

  it('answers every ping with the original pong: socket id, stored token, seq', () => {
    raw.serverAccepts('sock-1');
    localStorage.setItem(TOKEN_KEY, 'tok-A');
    raw.fire('server-action:ping', { message: 'ping', seq: 7, ts: 1 });
    localStorage.removeItem(TOKEN_KEY);
    raw.fire('server-action:ping', { message: 'ping', seq: 8, ts: 2 });
    raw.fire('server-action:ping', { message: 'ping' });
    expect(raw.emitted).toEqual([
      ['ng-action', { action: 'pong', socket_id: 'sock-1', token: 'tok-A', seq: 7 }],
      ['ng-action', { action: 'pong', socket_id: 'sock-1', token: null, seq: 8 }],
      ['ng-action', { action: 'pong', socket_id: 'sock-1', token: null }],
    ]);
  });

  it('re-exposes pings to subscribers', async () => {
    const got = firstValueFrom(service.ping$.pipe(take(1)));
    raw.fire('server-action:ping', { seq: 1 });
    expect(await got).toEqual({ seq: 1 });
  });

  it('gives auth as a function that reads the token at each connect', async () => {
    expect(typeof raw.auth).toBe('function');
    expect(await raw.authPayload()).toEqual({});
    localStorage.setItem(TOKEN_KEY, 'tok-B');
    expect(await raw.authPayload()).toEqual({ token: 'tok-B' });
  });

  it('connects once on start', () => {
    service.start();
    service.start();
    expect(raw.connectCalls).toBe(1);
    expect(service.snapshot.status).toBe('reconnecting');
  });

  it('emits login and logout ng-actions', () => {
    service.login('tok-C');
    service.logout();
    expect(raw.ngActions()).toEqual([{ action: 'login', token: 'tok-C' }, { action: 'logout' }]);
  });

  it('tracks connected / reconnecting / offline from socket and Manager events', async () => {
    const states = firstValueFrom(service.state$.pipe(take(5), toArray()));
    service.start();
    raw.serverAccepts('s1');
    raw.fire('disconnect', 'transport close'); // active stays true: the Manager reconnects
    raw.io.fire('reconnect_attempt', 1);
    raw.id = 's2';
    raw.io.fire('reconnect', 1);
    expect((await states).map((s) => s.status)).toEqual(['offline', 'reconnecting', 'connected', 'reconnecting', 'reconnecting']);
    expect(service.snapshot).toMatchObject({ status: 'connected', socketId: 's2' });
  });

  it('retries by itself when the server refuses the CONNECT, and reports the rejection', async () => {
    vi.useFakeTimers();
    service.start();
    const rejected = firstValueFrom(service.rejected$.pipe(take(1)));
    raw.active = false;
    raw.fire('connect_error', Object.assign(new Error('invalid token'), { data: null }));
    expect(await rejected).toBe('invalid token');
    expect(service.snapshot.status).toBe('offline');
    expect(raw.connectCalls).toBe(1);
    raw.active = false;
    vi.advanceTimersByTime(1000);
    expect(raw.connectCalls).toBe(2);
  });

  it('forwards update_user_online, logged_out, error and stats', async () => {
    const all = Promise.all([
      firstValueFrom(service.userOnline$),
      firstValueFrom(service.loggedOut$),
      firstValueFrom(service.error$),
      firstValueFrom(service.stats$),
    ]);
    raw.fire('server-action:update_user_online', { version: 1, count: 0, joined: [], left: [] });
    raw.fire('server-action:logged_out', { reason: 'logout' });
    raw.fire('server-action:error', { code: 'invalid_token', message: 'bad' });
    raw.fire('server-action:stats', { sockets: 3 });
    expect(await all).toEqual([
      { version: 1, count: 0, joined: [], left: [] },
      { reason: 'logout' },
      { code: 'invalid_token', message: 'bad' },
      { sockets: 3 },
    ]);
  });

  it('removes its listeners on destroy', () => {
    expect(raw.count('server-action:ping')).toBe(1);
    service.ngOnDestroy();
    expect(raw.count('server-action:ping')).toBe(0);
    expect(raw.io.count('reconnect')).toBe(0);
  });
});

describe('PresenceSocket presence:* events', () => {
  let raw: FakeRawSocket;
  let service: PresenceSocket;

  beforeEach(() => {
    raw = new FakeRawSocket();
    TestBed.configureTestingModule({ providers: [{ provide: Socket, useValue: fakeWrappedSocket(raw) }] });
    service = TestBed.inject(PresenceSocket);
  });
  afterEach(() => vi.useRealTimers());

  it('request: sends with an ack callback while connected and emits the answer once', async () => {
    raw.serverAccepts('s1');
    const answer = firstValueFrom(service.request('presence:join', { room: 'public:a' }).pipe(toArray()));
    expect(raw.answer('presence:join', { ok: true, room: 'public:a', mode: 'list', version: 1, count: 0, users: [] })).toEqual({ room: 'public:a' });
    expect(await answer).toEqual([{ ok: true, room: 'public:a', mode: 'list', version: 1, count: 0, users: [] }]);
  });

  it('request: a refusal keeps its code and message; an unreadable answer is bad_ack', async () => {
    raw.serverAccepts('s1');
    const refused = firstValueFrom(service.request('presence:join', { room: 'x' }));
    raw.answer('presence:join', { ok: false, code: 'forbidden', message: 'no' });
    expect(await refused).toEqual({ ok: false, code: 'forbidden', message: 'no' });
    const odd = firstValueFrom(service.request('presence:join', { room: 'x' }));
    raw.answer('presence:join', 'yes');
    expect(await odd).toMatchObject({ ok: false, code: 'bad_ack' });
  });

  it('request: not connected → offline at once, nothing sent (socket.io would buffer it)', async () => {
    expect(await firstValueFrom(service.request('presence:watch', { users: [1] }))).toMatchObject({ ok: false, code: 'offline' });
    expect(raw.sent('presence:watch')).toEqual([]);
  });

  it('request: no answer in time → timeout; a late answer is dropped', async () => {
    vi.useFakeTimers();
    raw.serverAccepts('s1');
    const got: unknown[] = [];
    service.request('presence:leave', { room: 'public:a' }, 500).subscribe((a) => got.push(a));
    vi.advanceTimersByTime(499);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual([{ ok: false, code: 'timeout', message: 'The server did not answer.' }]);
    raw.answer('presence:leave', { ok: true });
    expect(got.length).toBe(1);
  });

  it('forwards presence:update and presence:watch_update (first argument only)', async () => {
    const both = Promise.all([firstValueFrom(service.roomUpdate$), firstValueFrom(service.watchUpdate$)]);
    raw.fire('presence:update', { room: 'public:a', mode: 'list', version: 2, count: 1, joined: [], left: [], changed: [] }, 'offset-1');
    raw.fire('presence:watch_update', { users: [{ id: 2, online: false, status: 'offline', last_seen: null }] }, 'offset-2');
    expect(await both).toEqual([
      { room: 'public:a', mode: 'list', version: 2, count: 1, joined: [], left: [], changed: [] },
      { users: [{ id: 2, online: false, status: 'offline', last_seen: null }] },
    ]);
  });

  it('recovered: only for a connected socket whose CONNECT recovered the session', () => {
    expect(service.recovered).toBe(false);
    raw.serverReconnects('s1', true);
    expect(service.recovered).toBe(true);
    raw.drops();
    expect(service.recovered).toBe(false);
  });
});

describe('PresenceSocket requestBound', () => {
  it('sends again while the answer is unauthorized (a bind in progress), then gives the last answer', async () => {
    vi.useFakeTimers();
    try {
      const raw = new FakeRawSocket();
      TestBed.configureTestingModule({ providers: [{ provide: Socket, useValue: fakeWrappedSocket(raw) }] });
      const service = TestBed.inject(PresenceSocket);
      raw.serverAccepts('s1');
      const got: unknown[] = [];
      service.requestBound('presence:watch', { users: [2] }).subscribe((a) => got.push(a));
      raw.answer('presence:watch', { ok: false, code: 'unauthorized' });
      expect(raw.sent('presence:watch').length).toBe(1);
      await vi.advanceTimersByTimeAsync(250);
      expect(raw.sent('presence:watch').length).toBe(2);
      raw.answer('presence:watch', { ok: true, users: [] });
      expect(got).toEqual([{ ok: true, users: [] }]);

      // Still unauthorized after every retry: that answer comes out.
      const last: unknown[] = [];
      service.requestBound('presence:join', { room: 'public:a' }).subscribe((a) => last.push(a));
      for (const wait of [250, 1000, 2000]) {
        raw.answer('presence:join', { ok: false, code: 'unauthorized' });
        await vi.advanceTimersByTimeAsync(wait);
      }
      raw.answer('presence:join', { ok: false, code: 'unauthorized', message: 'anonymous' });
      expect(raw.sent('presence:join').length).toBe(4);
      expect(last).toEqual([{ ok: false, code: 'unauthorized', message: 'anonymous' }]);
    } finally {
      vi.useRealTimers();
    }
  });
});
