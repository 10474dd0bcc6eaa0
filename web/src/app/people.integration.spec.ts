import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { Socket } from 'ngx-socket-io';
import { FakeRawSocket, fakeWrappedSocket } from '../testing/fake-socket';
import { alice, bob, carol } from '../testing/fixtures';
import { App } from './app';
import { appConfig } from './app.config';
import { contactsKey } from './core/contacts-storage';
import { User } from './core/models';
import { TOKEN_KEY } from './core/token-storage';

/** The People page with the whole app wired as in production, a fake socket and a fake HTTP backend. */
describe('App people directory (integration)', () => {
  let raw: FakeRawSocket;
  let http: HttpTestingController;
  const T = '2026-11-25T22:00:00Z';
  const carolOff: User = { ...carol, is_online: false, last_seen: T };
  /** 50 a page: alice, bob, Carol, then filler accounts; 60 in all. */
  const everyone: User[] = [
    alice,
    bob,
    carolOff,
    ...Array.from({ length: 57 }, (_, i) => ({ id: 10 + i, username: `user${i}`, is_online: false, last_seen: null })),
  ];
  const pageOf = (n: number) => ({
    count: everyone.length,
    next: n * 50 < everyone.length ? `http://h/api/users/?page=${n + 1}` : null,
    previous: n === 1 ? null : n === 2 ? 'http://h/api/users/' : `http://h/api/users/?page=${n - 1}`,
    results: everyone.slice((n - 1) * 50, n * 50),
  });

  /** Signed in as alice (restored), the socket connected, alice and bob online. */
  async function boot() {
    localStorage.setItem(TOKEN_KEY, 'tok-1');
    raw = new FakeRawSocket();
    TestBed.configureTestingModule({
      providers: [...appConfig.providers, provideHttpClientTesting(), { provide: Socket, useValue: fakeWrappedSocket(raw) }],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const router = TestBed.inject(Router);
    const nav = router.navigateByUrl('/');
    http.expectOne('/api/me/').flush(alice);
    http.expectOne('/api/users/online/').flush({ version: 1, count: 2, users: [alice, bob] });
    await nav;
    raw.serverAccepts('sid-1');
    await fixture.whenStable();
    return { fixture, router, root: fixture.nativeElement as HTMLElement };
  }

  beforeEach(() => localStorage.clear());
  afterEach(() => localStorage.clear());

  const q = (root: HTMLElement, sel: string) => root.querySelector<HTMLElement>(sel);
  const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim();
  const row = (root: HTMLElement, id: number) => q(root, `[data-testid="directory-user"][data-user-id="${id}"]`);
  const toggle = (root: HTMLElement, id: number) =>
    row(root, id)?.querySelector<HTMLButtonElement>('[data-testid="directory-contact-toggle"]');
  const names = (root: HTMLElement) => Array.from(root.querySelectorAll('[data-testid="directory-username"]')).map((e) => text(e));

  it('lists everyone with live dots; an offline person is added to contacts and followed live; pages; filter', async () => {
    const { fixture, router, root } = await boot();
    q(root, '[data-testid="nav-people"]')!.click();
    await fixture.whenStable();
    expect(router.url).toBe('/people');
    expect(q(root, '[data-testid="nav-people"]')!.getAttribute('aria-current')).toBe('page');
    expect(q(root, '[data-testid="directory-user"]')).toBeNull(); // skeleton while loading
    http.expectOne('/api/users/?page=1').flush(pageOf(1));
    await fixture.whenStable();

    expect(names(root).slice(0, 3)).toEqual(['alice', 'bob', 'Carol']);
    expect(names(root).length).toBe(50);
    expect(text(q(root, '[data-testid="people-count"]'))).toBe('60');
    expect(text(q(root, '[data-testid="people-page-number"]'))).toBe('Page 1 of 2');
    expect(text(q(root, '[data-testid="people-range"]'))).toBe('1–50 of 60');
    expect(text(q(root, '[data-testid="people-announcement"]'))).toBe('Page 1 of 2, people 1 to 50 of 60.');
    expect(row(root, 1)!.dataset['presence']).toBe('online');
    expect(toggle(root, 1)).toBeNull(); // not oneself
    expect(row(root, 2)!.dataset['presence']).toBe('online'); // from the online list
    expect(row(root, 3)!.dataset['presence']).toBe('offline');
    expect(text(row(root, 3)!.querySelector('[data-testid="directory-state"]'))).toMatch(/^offline · last seen /);
    expect(q(root, '[data-testid="people-prev"]')!.getAttribute('aria-disabled')).toBe('true');
    expect(q(root, '[data-testid="people-next"]')!.getAttribute('aria-disabled')).toBeNull();

    // Carol is offline: added from here, watched, kept in localStorage.
    expect(text(toggle(root, 3))).toBe('Add to contacts: Carol');
    toggle(root, 3)!.click();
    await fixture.whenStable();
    expect(raw.sent('presence:watch')).toEqual([{ users: [3] }]);
    expect(JSON.parse(localStorage.getItem(contactsKey(1))!)).toEqual([{ id: 3, username: 'Carol' }]);
    expect(text(toggle(root, 3))).toBe('Remove from contacts: Carol');
    raw.answer('presence:watch', { ok: true, users: [{ id: 3, online: false, status: 'offline', last_seen: T }] });
    await fixture.whenStable();
    expect(row(root, 3)!.dataset['presence']).toBe('offline');
    // She comes online: the watch update turns her dot, here and on the contacts card.
    raw.fire('presence:watch_update', { users: [{ id: 3, online: true, status: 'online', last_seen: null }] });
    await fixture.whenStable();
    expect(row(root, 3)!.dataset['presence']).toBe('online');
    expect(text(row(root, 3)!.querySelector('[data-testid="directory-state"]'))).toBe('online');
    // bob leaves the online list: his dot goes offline (no watch for a non-contact).
    raw.fire('server-action:update_user_online', { version: 2, count: 1, joined: [], left: [2] });
    await fixture.whenStable();
    expect(row(root, 2)!.dataset['presence']).toBe('offline');
    expect(text(row(root, 2)!.querySelector('[data-testid="directory-state"]'))).toMatch(/^offline · last seen \d\d:\d\d$/);

    // Filter the page (Angular forms): by name, Esc clears.
    const filter = q(root, '[data-testid="people-filter"]') as HTMLInputElement;
    filter.value = 'CAR';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(names(root)).toEqual(['Carol']);
    expect(text(q(root, '[data-testid="people-range"]'))).toBe('1–50 of 60 · 1 shown');
    filter.value = 'nobody-here';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(text(q(root, '[data-testid="people-no-match"]'))).toContain('Nobody on this page matches “nobody-here”.');
    filter.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await fixture.whenStable();
    expect(filter.value).toBe('');
    expect(names(root).length).toBe(50);

    // Next page: ?page=2 in the URL, skeleton meanwhile, then the last 10.
    q(root, '[data-testid="people-next"]')!.click();
    await fixture.whenStable();
    expect(router.url).toBe('/people?page=2');
    expect(q(root, '[data-testid="people-list"]')!.hidden).toBe(true); // page 1's rows are not shown as page 2
    http.expectOne('/api/users/?page=2').flush(pageOf(2));
    await fixture.whenStable();
    expect(names(root)).toEqual(everyone.slice(50).map((u) => u.username));
    expect(text(q(root, '[data-testid="people-page-number"]'))).toBe('Page 2 of 2');
    expect(text(q(root, '[data-testid="people-range"]'))).toBe('51–60 of 60');
    expect(q(root, '[data-testid="people-next"]')!.getAttribute('aria-disabled')).toBe('true');
    q(root, '[data-testid="people-next"]')!.click(); // nothing past the last page
    await fixture.whenStable();
    expect(router.url).toBe('/people?page=2');
    http.expectNone(() => true);

    // Previous: back to the first page (no ?page=).
    q(root, '[data-testid="people-prev"]')!.click();
    await fixture.whenStable();
    expect(router.url).toBe('/people');
    http.expectOne('/api/users/?page=1').flush(pageOf(1));
    await fixture.whenStable();
    expect(text(toggle(root, 3))).toBe('Remove from contacts: Carol');

    // Remove from here: unwatched, storage emptied; the online page's contacts card agrees.
    toggle(root, 3)!.click();
    await fixture.whenStable();
    expect(raw.sent('presence:unwatch')).toEqual([{ users: [3] }]);
    expect(localStorage.getItem(contactsKey(1))).toBeNull();
    expect(text(toggle(root, 3))).toBe('Add to contacts: Carol');
    q(root, '[data-testid="nav-online"]')!.click();
    await fixture.whenStable();
    expect(q(root, '[data-testid="contact"]')).toBeNull();
    expect(q(root, '[data-testid="contacts-to-people"]')!.getAttribute('href')).toBe('/people');
    http.verify();
  });

  it('a page past the end says so and offers the first page; a bad ?page= goes to the first page', async () => {
    const { fixture, router, root } = await boot();
    await router.navigateByUrl('/people?page=7');
    await fixture.whenStable();
    http.expectOne('/api/users/?page=7').flush({ detail: 'Invalid page.' }, { status: 404, statusText: 'Not Found' });
    await fixture.whenStable();
    const error = q(root, '[data-testid="people-error"]')!;
    expect(text(error)).toContain('There is no such page (any more).');
    expect(error.dataset['status']).toBe('404');
    expect(q(root, '[data-testid="people-list"]')!.hidden).toBe(true);

    // Try again asks for the same page.
    (q(root, '[data-testid="people-retry"]') as HTMLButtonElement).click();
    http.expectOne('/api/users/?page=7').flush({ detail: 'Invalid page.' }, { status: 404, statusText: 'Not Found' });
    await fixture.whenStable();

    (q(root, '[data-testid="people-first"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(router.url).toBe('/people');
    http.expectOne('/api/users/?page=1').flush(pageOf(1));
    await fixture.whenStable();
    expect(q(root, '[data-testid="people-error"]')).toBeNull();
    expect(document.activeElement?.id).toBe('people-title');

    await router.navigateByUrl('/people?page=abc');
    await fixture.whenStable();
    expect(router.url).toBe('/people');
    http.match('/api/users/?page=1').forEach((r) => r.flush(pageOf(1)));
    http.verify();
  });
});
