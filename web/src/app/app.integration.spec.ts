import { provideHttpClientTesting, HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { Store } from '@ngrx/store';
import { Socket } from 'ngx-socket-io';
import { FakeRawSocket, fakeWrappedSocket } from '../testing/fake-socket';
import { alice, bob, carol } from '../testing/fixtures';
import { statsPayload } from '../testing/stats';
import { App } from './app';
import { appConfig } from './app.config';
import { TOKEN_KEY } from './core/token-storage';
import { sessionActions } from './state/session/session.actions';

/** The whole app wired as in production, with a fake socket and a fake HTTP backend. */
describe('App (integration)', () => {
  let raw: FakeRawSocket;
  let http: HttpTestingController;

  async function boot(token: string | null) {
    localStorage.clear();
    if (token) localStorage.setItem(TOKEN_KEY, token);
    raw = new FakeRawSocket();
    TestBed.configureTestingModule({
      providers: [...appConfig.providers, provideHttpClientTesting(), { provide: Socket, useValue: fakeWrappedSocket(raw) }],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    return fixture;
  }

  afterEach(() => localStorage.clear());

  const el = (f: { nativeElement: HTMLElement }) => f.nativeElement as HTMLElement;
  const rows = (f: { nativeElement: HTMLElement }) =>
    Array.from(el(f).querySelectorAll<HTMLElement>('[data-testid="online-user"]')).map((li) => ({
      id: li.dataset['userId'],
      name: li.querySelector('[data-testid="online-username"]')?.textContent?.trim(),
      you: !!li.querySelector('[data-testid="you"]'),
    }));

  it('restores the session from storage, shows the live list, follows updates, and logs out on a 401', async () => {
    const fixture = await boot('tok-1');
    const router = TestBed.inject(Router);
    const navigated = router.navigateByUrl('/');

    const me = http.expectOne('/api/me/');
    expect(me.request.headers.get('Authorization')).toBe('Token tok-1');
    me.flush(alice);
    http.expectOne('/api/users/online/').flush({ version: 3, count: 2, users: [bob, alice] });
    await navigated;
    await fixture.whenStable();

    expect(router.url).toBe('/');
    expect(rows(fixture)).toEqual([
      { id: '1', name: 'alice', you: true },
      { id: '2', name: 'bob', you: false },
    ]);
    expect(el(fixture).querySelector('[data-testid="online-count"]')?.textContent?.trim()).toBe('2');
    expect(el(fixture).querySelector('[data-testid="current-username"]')?.textContent?.trim()).toBe('alice');
    expect(el(fixture).querySelector('[data-testid="online-list"]')?.getAttribute('aria-live')).toBe('polite');

    // The socket connects at start and carries the token via the auth function.
    expect(raw.connectCalls).toBe(1);
    expect(await raw.authPayload()).toEqual({ token: 'tok-1' });
    raw.serverAccepts('sid-1');
    await fixture.whenStable();
    expect(el(fixture).querySelector('[data-testid="connection-status"]')?.textContent?.trim()).toBe('connected');

    // A consecutive delta is applied; no HTTP call.
    raw.fire('server-action:update_user_online', { version: 4, count: 3, joined: [carol], left: [] });
    await fixture.whenStable();
    http.expectNone('/api/users/online/');
    expect(rows(fixture).map((r) => r.name)).toEqual(['alice', 'bob', 'Carol']);

    // Pings are answered with the pong.
    raw.fire('server-action:ping', { message: 'ping', seq: 11, ts: 0 });
    expect(raw.ngActions().at(-1)).toEqual({ action: 'pong', socket_id: 'sid-1', token: 'tok-1', seq: 11 });

    // A gap triggers a refetch; that call answers 401 → clean logout.
    raw.fire('server-action:update_user_online', { version: 9, count: 2, joined: [], left: [3] });
    const refetch = http.expectOne('/api/users/online/');
    refetch.flush({ detail: 'Invalid token.' }, { status: 401, statusText: 'Unauthorized' });
    await fixture.whenStable();

    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(router.url).toBe('/login');
    expect(el(fixture).querySelector('input[name="username"]')).not.toBeNull();
    expect(el(fixture).querySelector('[data-testid="logout"]')).toBeNull();
    expect(raw.ngActions().at(-1)).toEqual({ action: 'logout' });
    // Pongs no longer carry the old token.
    raw.fire('server-action:ping', { seq: 12 });
    expect(raw.ngActions().at(-1)).toEqual({ action: 'pong', socket_id: 'sid-1', token: null, seq: 12 });
    http.verify();
  });

  it('logs in over HTTP, binds the socket, and logs out with the logout control', async () => {
    const fixture = await boot(null);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/');
    await fixture.whenStable();
    expect(router.url).toBe('/login');

    const root = el(fixture);
    const set = (name: string, value: string) => {
      const input = root.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    };
    set('username', 'alice');
    set('password', 'secret');
    root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    const login = http.expectOne('/api-token-auth/');
    expect(login.request.body).toEqual({ username: 'alice', password: 'secret' });
    expect(login.request.headers.has('Authorization')).toBe(false);
    login.flush({ user: alice, token: 'tok-2', agent: 'test' });
    http.expectOne('/api/users/online/').flush({ version: 1, count: 1, users: [alice] });
    await fixture.whenStable();

    expect(localStorage.getItem(TOKEN_KEY)).toBe('tok-2');
    expect(raw.ngActions()).toContainEqual({ action: 'login', token: 'tok-2' });
    expect(router.url).toBe('/');
    expect(rows(fixture)).toEqual([{ id: '1', name: 'alice', you: true }]);

    root.querySelector<HTMLButtonElement>('[data-testid="logout"]')!.click();
    const logout = http.expectOne('/api/logout/');
    expect(logout.request.headers.get('Authorization')).toBe('Token tok-2');
    logout.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(router.url).toBe('/login');
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(raw.ngActions().at(-1)).toEqual({ action: 'logout' });
    http.verify();
  });

  it('shows the API field errors beside the register fields', async () => {
    const fixture = await boot(null);
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/register');
    await fixture.whenStable();
    const root = el(fixture);
    expect(root.querySelector('input[name="email"]')?.getAttribute('autocomplete')).toBe('email');
    expect(root.querySelector('input[name="password"]')?.getAttribute('autocomplete')).toBe('new-password');

    TestBed.inject(Store).dispatch(
      sessionActions.registerFailed({
        errors: { fields: { username: ['A user with that username already exists.'], password: ['Too short.'] }, nonField: [] },
      }),
    );
    await fixture.whenStable();
    const username = root.querySelector('input[name="username"]')!;
    expect(username.getAttribute('aria-invalid')).toBe('true');
    const describedBy = username.getAttribute('aria-describedby')!;
    expect(root.querySelector(`#${describedBy}`)?.textContent).toContain('A user with that username already exists.');
    expect(root.querySelector('[data-testid="error-password"]')?.textContent).toContain('Too short.');
    expect(root.querySelector('[data-testid="error-email"]')).toBeNull();
  });

  it('checks empty fields before sending and focuses the first one in error', async () => {
    const fixture = await boot(null);
    await TestBed.inject(Router).navigateByUrl('/login');
    await fixture.whenStable();
    const root = el(fixture);
    root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await fixture.whenStable();
    http.expectNone('/api-token-auth/');
    expect(root.querySelector('[data-testid="error-username"]')?.textContent).toContain('This field is required.');
    expect(root.querySelector('[data-testid="error-password"]')?.textContent).toContain('This field is required.');
    expect(document.activeElement?.getAttribute('name')).toBe('username');
  });

  it('sends a staff-less user away from /operator, and shows it no operator link', async () => {
    const fixture = await boot('tok-3');
    const router = TestBed.inject(Router);
    const nav = router.navigateByUrl('/operator');
    http.expectOne('/api/me/').flush(alice);
    http.expectOne('/api/users/online/').flush({ version: 1, count: 1, users: [alice] });
    await nav;
    await fixture.whenStable();
    expect(router.url).toBe('/');
    expect(el(fixture).querySelector('[data-testid="operator-page"]')).toBeNull();
    expect(el(fixture).querySelector('[data-testid="operator-link"]')).toBeNull();
  });

  it('shows staff the operator view, reached from the header link, live from server-action:stats', async () => {
    const fixture = await boot('tok-4');
    const router = TestBed.inject(Router);
    const home = router.navigateByUrl('/');
    http.expectOne('/api/me/').flush({ ...alice, is_staff: true });
    http.expectOne('/api/users/online/').flush({ version: 1, count: 1, users: [alice] });
    await home;
    raw.serverAccepts('sid-4');
    await fixture.whenStable();
    const root = el(fixture);

    const link = root.querySelector<HTMLAnchorElement>('[data-testid="operator-link"]')!;
    expect(link.getAttribute('href')).toBe('/operator');
    link.click();
    await fixture.whenStable();
    expect(router.url).toBe('/operator');
    expect(link.getAttribute('aria-current')).toBe('page');
    expect(root.querySelector('[data-testid="operator-page"]')).not.toBeNull();
    expect(root.querySelector('[data-testid="operator-empty"]')).not.toBeNull();

    const t0 = 1_764_000_000_000;
    raw.fire('server-action:stats', statsPayload({ at: t0, bound: 120, anonymous: 3, broadcasts: 4000, bytesIn: 10_000 }));
    raw.fire('server-action:stats', statsPayload({ at: t0 + 1000, bound: 121, anonymous: 3, broadcasts: 4004, bytesIn: 22_500 }));
    await fixture.whenStable();
    const text = (id: string) => root.querySelector(`[data-testid="${id}"]`)?.textContent?.replace(/\s+/g, ' ').trim();
    expect(root.querySelector('[data-testid="operator-empty"]')).toBeNull();
    expect(root.querySelector('[data-testid="operator-page"]')!.getAttribute('data-updated-at')).toBe(String(t0 + 1000));
    expect(text('stat-connections')).toContain('124');
    expect(text('stat-connections')).toContain('121 bound · 3 anonymous');
    expect(root.querySelector('[data-testid="stat-connections"]')!.getAttribute('data-value')).toBe('124');
    expect(text('stat-users-online')).toContain('87');
    expect(text('stat-pongs')).toContain('1,523');
    expect(text('stat-broadcasts')).toContain('4.0');
    expect(text('stat-bytes-in')).toContain('12.5kB/s');
    expect(text('operator-status')).toBe('Live');
    expect(text('operator-node-name')).toBe('node-a');
    expect(root.querySelector('[data-testid="operator-chart"]')!.getAttribute('data-points')).toBe('2');
    expect(root.querySelectorAll('[data-testid="operator-chart"] svg path.chart__line').length).toBe(2);
    expect(root.querySelectorAll('[data-testid="operator-actors"] tbody tr').length).toBe(5);
    // One node: no per-node cards.
    expect(root.querySelectorAll('[data-testid="operator-node"]').length).toBe(0);

    // Several nodes: a card per node, this one first and marked.
    raw.fire(
      'server-action:stats',
      statsPayload({ at: t0 + 2000, nodes: [statsPayload({ node: 'node-c', at: t0 + 1900 }), statsPayload({ node: 'node-b', at: t0 + 1800 })] }),
    );
    await fixture.whenStable();
    const cards = Array.from(root.querySelectorAll<HTMLElement>('[data-testid="operator-node"]'));
    expect(cards.map((c) => c.dataset['node'])).toEqual(['node-a', 'node-b', 'node-c']);
    expect(cards[0].querySelector('[data-testid="operator-node-self"]')).not.toBeNull();
    expect(cards[1].querySelector('[data-testid="operator-node-self"]')).toBeNull();
    expect(text('stat-connections')).toContain('Cluster 369');

    // Logging out forgets the figures.
    root.querySelector<HTMLButtonElement>('[data-testid="logout"]')!.click();
    http.expectOne('/api/logout/').flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(router.url).toBe('/login');
    expect((TestBed.inject(Store) as Store<any>).selectSignal((s: any) => s.operator.samples.length)()).toBe(0);
  });
});
