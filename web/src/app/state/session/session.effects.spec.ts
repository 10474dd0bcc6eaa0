import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { Action } from '@ngrx/store';
import { ROOT_EFFECTS_INIT } from '@ngrx/effects';
import { Observable, firstValueFrom, of, throwError, toArray } from 'rxjs';
import { alice } from '../../../testing/fixtures';
import { onlineActions } from '../online/online.actions';
import { sessionActions } from './session.actions';
import * as fx from './session.effects';

const collect = (o: Observable<unknown>) => firstValueFrom(o.pipe(toArray()));
const err = (status: number, body: unknown = null, headers?: Record<string, string>) =>
  new HttpErrorResponse({ status, error: body, headers: new HttpHeaders(headers) });

function tokens(initial: string | null = null) {
  let value = initial;
  return {
    get: vi.fn(() => value),
    set: vi.fn((t: string) => (value = t)),
    clear: vi.fn(() => (value = null)),
  };
}
const socket = () => ({ login: vi.fn(), logout: vi.fn() });
const router = () => ({ navigateByUrl: vi.fn(() => Promise.resolve(true)) });

describe('session effects', () => {
  it('init: a stored token starts a restore, none means no session', async () => {
    const start = of({ type: ROOT_EFFECTS_INIT } as Action);
    expect(await collect(fx.init$(start as any, tokens('t') as any))).toEqual([sessionActions.restoreStarted({ token: 't' })]);
    expect(await collect(fx.init$(start as any, tokens(null) as any))).toEqual([sessionActions.noSession()]);
  });

  it('login success → Login Succeeded with user and token', async () => {
    const api = { login: vi.fn(() => of({ user: alice, token: 'tok', agent: 'x' })) };
    const out = await collect(fx.login$(of(sessionActions.loginSubmitted({ username: 'alice', password: 'pw' })) as any, api as any));
    expect(api.login).toHaveBeenCalledWith('alice', 'pw');
    expect(out).toEqual([sessionActions.loginSucceeded({ user: alice, token: 'tok' })]);
  });

  it('login failure → Login Failed with DRF errors', async () => {
    const api = {
      login: vi.fn(() => throwError(() => err(400, { non_field_errors: ['Unable to log in with provided credentials.'] }))),
    };
    const [action] = (await collect(
      fx.login$(of(sessionActions.loginSubmitted({ username: 'a', password: 'b' })) as any, api as any),
    )) as any[];
    expect(action.type).toBe(sessionActions.loginFailed.type);
    expect(action.errors).toEqual({ fields: {}, nonField: ['Unable to log in with provided credentials.'] });
  });

  it('login throttled (429) → "Too many attempts, try again in N s"', async () => {
    const api = { login: vi.fn(() => throwError(() => err(429, { detail: 'Request was throttled.' }, { 'Retry-After': '42' }))) };
    const [action] = (await collect(
      fx.login$(of(sessionActions.loginSubmitted({ username: 'a', password: 'b' })) as any, api as any),
    )) as any[];
    expect(action.errors.nonField).toEqual(['Too many attempts, try again in 42 s']);
    expect(action.errors.throttledUntil).toBeGreaterThan(Date.now() + 40_000);
  });

  it('register success and failure', async () => {
    const ok = { register: vi.fn(() => of({ user: alice, token: 'tok' })) };
    const submit = of(sessionActions.registerSubmitted({ username: 'alice', email: 'a@x.org', password: 'pw' }));
    expect(await collect(fx.register$(submit as any, ok as any))).toEqual([sessionActions.registerSucceeded({ user: alice, token: 'tok' })]);
    expect(ok.register).toHaveBeenCalledWith('alice', 'a@x.org', 'pw');
    const bad = { register: vi.fn(() => throwError(() => err(400, { username: ['A user with that username already exists.'] }))) };
    const [action] = (await collect(fx.register$(submit as any, bad as any))) as any[];
    expect(action).toEqual(
      sessionActions.registerFailed({ errors: { fields: { username: ['A user with that username already exists.'] }, nonField: [] } }),
    );
  });

  it('after an HTTP login: token stored, socket bound with ng-action login, online page shown', async () => {
    const t = tokens();
    const s = socket();
    const r = router();
    await collect(fx.authenticated$(of(sessionActions.loginSucceeded({ user: alice, token: 'tok' })) as any, t as any, s as any, r as any));
    expect(t.set).toHaveBeenCalledWith('tok');
    expect(s.login).toHaveBeenCalledWith('tok');
    expect(r.navigateByUrl).toHaveBeenCalledWith('/');
  });

  it('loads the online list after login, register and restore', async () => {
    const out = await collect(
      fx.loadOnlineAfterAuth$(
        of(
          sessionActions.loginSucceeded({ user: alice, token: 't' }),
          sessionActions.registerSucceeded({ user: alice, token: 't' }),
          sessionActions.restoreSucceeded({ user: alice }),
        ) as any,
      ),
    );
    expect(out).toEqual(Array(3).fill(onlineActions.refetchRequested({ reason: 'login' })));
  });

  it('restore: GET /api/me/ → Restore Succeeded; a 401 ends quietly (the interceptor logs out)', async () => {
    const ok = { me: vi.fn(() => of(alice)) };
    expect(await collect(fx.restore$(of(sessionActions.restoreStarted({ token: 't' })) as any, ok as any))).toEqual([
      sessionActions.restoreSucceeded({ user: alice }),
    ]);
    const dead = { me: vi.fn(() => throwError(() => err(401, { detail: 'Invalid token.' }))) };
    expect(await collect(fx.restore$(of(sessionActions.restoreStarted({ token: 't' })) as any, dead as any))).toEqual([]);
  });

  it('restore retries while the server cannot be reached', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const api = {
        me: vi.fn(
          () =>
            new Observable<typeof alice>((sub) => {
              calls++;
              if (calls < 3) sub.error(err(0));
              else {
                sub.next(alice);
                sub.complete();
              }
            }),
        ),
      };
      const result = collect(fx.restore$(of(sessionActions.restoreStarted({ token: 't' })) as any, api as any));
      await vi.advanceTimersByTimeAsync(1000 + 2000);
      expect(await result).toEqual([sessionActions.restoreSucceeded({ user: alice })]);
      expect(calls).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logout: token out of storage first, socket unbound, POST /api/logout/ with the old token, login form', async () => {
    const t = tokens('old');
    const s = socket();
    const r = router();
    const order: string[] = [];
    t.clear.mockImplementation(() => order.push('clear') as any);
    s.logout.mockImplementation(() => order.push('socket logout'));
    const api = { logout: vi.fn((tok: string) => (order.push(`POST ${tok}`), of(null))) };
    const out = await collect(fx.logout$(of(sessionActions.logoutRequested()) as any, api as any, t as any, s as any, r as any));
    expect(order).toEqual(['clear', 'socket logout', 'POST old']);
    expect(r.navigateByUrl).toHaveBeenCalledWith('/login');
    expect(out).toEqual([sessionActions.logoutCompleted({ ok: true })]);
  });

  it('logout completes even when the API call fails', async () => {
    const api = { logout: vi.fn(() => throwError(() => err(0))) };
    const out = await collect(
      fx.logout$(of(sessionActions.logoutRequested()) as any, api as any, tokens('old') as any, socket() as any, router() as any),
    );
    expect(out).toEqual([sessionActions.logoutCompleted({ ok: false })]);
  });

  it('401 (Unauthorized) → token cleared, socket unbound, back to the login form', async () => {
    const t = tokens('dead');
    const s = socket();
    const r = router();
    await collect(fx.signedOut$(of(sessionActions.unauthorized()) as any, t as any, s as any, r as any));
    expect(t.clear).toHaveBeenCalled();
    expect(s.logout).toHaveBeenCalled();
    expect(r.navigateByUrl).toHaveBeenCalledWith('/login');
  });

  it('logged out in another tab → token cleared, back to the login form', async () => {
    const t = tokens('old');
    const s = socket();
    const r = router();
    await collect(fx.signedOut$(of(sessionActions.loggedOutRemotely({ reason: 'logout' })) as any, t as any, s as any, r as any));
    expect(t.clear).toHaveBeenCalled();
    expect(s.logout).not.toHaveBeenCalled();
    expect(r.navigateByUrl).toHaveBeenCalledWith('/login');
  });
});
