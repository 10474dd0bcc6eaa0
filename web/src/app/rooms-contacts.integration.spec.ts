import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { Socket } from 'ngx-socket-io';
import { FakeRawSocket, fakeWrappedSocket } from '../testing/fake-socket';
import { alice, bob, carol } from '../testing/fixtures';
import { App } from './app';
import { appConfig } from './app.config';
import { contactsKey } from './core/contacts-storage';
import { TOKEN_KEY } from './core/token-storage';

/** Rooms and contacts with the whole app wired as in production, a fake socket and a fake HTTP backend. */
describe('App rooms and contacts (integration)', () => {
  let raw: FakeRawSocket;
  let http: HttpTestingController;

  /** Signed in as alice (restored from storage), the socket connected, the online list holding alice and bob. */
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
  const roomCard = (root: HTMLElement, room: string) => q(root, `[data-testid="room"][data-room="${room}"]`);
  const members = (root: HTMLElement, room: string) =>
    Array.from(roomCard(root, room)?.querySelectorAll('[data-testid="room-member-name"]') ?? []).map((e) => text(e));
  const type = (root: HTMLElement, value: string) => {
    const input = q(root, 'input[name="room"]') as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new Event('blur'));
  };
  const submit = (root: HTMLElement) => (q(root, '[data-testid="room-join"]') as HTMLButtonElement).click();

  it('rooms: validates the name, joins, shows members live with the count, refetches on a gap, rejoins after a reconnect, leaves', async () => {
    const { fixture, router, root } = await boot();
    q(root, '[data-testid="nav-rooms"]')!.click();
    await fixture.whenStable();
    expect(router.url).toBe('/rooms');
    expect(q(root, '[data-testid="nav-rooms"]')!.getAttribute('aria-current')).toBe('page');

    // Validation (Angular validators): nothing is sent for a bad name.
    type(root, 'lobby');
    submit(root);
    await fixture.whenStable();
    expect(text(q(root, '[data-testid="room-name-error"]'))).toContain('start the name with public:');
    expect(q(root, 'input[name="room"]')!.getAttribute('aria-invalid')).toBe('true');
    type(root, 'public:two words');
    await fixture.whenStable();
    expect(text(q(root, '[data-testid="room-name-error"]'))).toContain('no spaces');
    expect(raw.sent('presence:join')).toEqual([]);

    // Join by name: presence:join, then the ack's snapshot.
    type(root, 'public:team');
    submit(root);
    await fixture.whenStable();
    expect(raw.sent('presence:join')).toEqual([{ room: 'public:team' }]);
    expect(q(root, '[data-testid="room-name-error"]')).toBeNull();
    expect((q(root, 'input[name="room"]') as HTMLInputElement).value).toBe('public:');
    expect(roomCard(root, 'public:team')!.dataset['status']).toBe('joining');
    raw.answer('presence:join', { ok: true, room: 'public:team', mode: 'list', version: 4, count: 2, users: [bob, alice] });
    await fixture.whenStable();
    const card = roomCard(root, 'public:team')!;
    expect(card.dataset['status']).toBe('joined');
    expect(members(root, 'public:team')).toEqual(['alice', 'bob']);
    expect(text(card.querySelector('[data-testid="room-count"]'))).toBe('2');

    // Live diffs.
    raw.fire('presence:update', { room: 'public:team', mode: 'list', version: 5, count: 3, joined: [carol], left: [], changed: [] });
    await fixture.whenStable();
    expect(members(root, 'public:team')).toEqual(['alice', 'bob', 'Carol']);
    expect(text(card.querySelector('[data-testid="room-count"]'))).toBe('3');
    raw.fire('presence:update', { room: 'public:team', mode: 'list', version: 6, count: 2, joined: [], left: [2], changed: [] });
    await fixture.whenStable();
    expect(members(root, 'public:team')).toEqual(['alice', 'Carol']);
    http.expectNone(() => true);

    // A gap: GET the room's presence.
    raw.fire('presence:update', { room: 'public:team', mode: 'list', version: 9, count: 1, joined: [], left: [3], changed: [] });
    await fixture.whenStable();
    http.expectOne('/api/rooms/public:team/presence/').flush({ room: 'public:team', version: 9, count: 2, users: [alice, bob] });
    await fixture.whenStable();
    expect(members(root, 'public:team')).toEqual(['alice', 'bob']);

    // A second room, from the suggestions; count mode.
    q(root, '[data-testid="suggested-room"][data-room="public:lobby"]')!.click();
    raw.answer('presence:join', { ok: true, room: 'public:lobby', mode: 'count', version: 70, count: 4321 });
    await fixture.whenStable();
    expect(roomCard(root, 'public:lobby')!.dataset['mode']).toBe('count');
    expect(text(roomCard(root, 'public:lobby')!.querySelector('[data-testid="room-count"]'))).toBe('4,321');
    expect(q(root, '[data-testid="room-count-only"]')).not.toBeNull();
    expect(text(q(root, '[data-testid="rooms-joined-count"]'))).toBe('2');

    // A refused join shows why.
    type(root, 'public:third');
    submit(root);
    raw.answer('presence:join', { ok: false, code: 'too_many_rooms', message: 'at most 2' });
    await fixture.whenStable();
    expect(text(roomCard(root, 'public:third')!.querySelector('[data-testid="room-error"]'))).toContain(
      'You are in as many rooms as allowed',
    );
    q(root, '[data-room="public:third"] [data-testid="room-dismiss"]')!.click();
    await fixture.whenStable();
    expect(roomCard(root, 'public:third')).toBeNull();
    expect(raw.sent('presence:leave')).toEqual([{ room: 'public:third' }]); // in case only the ack was lost

    // The connection drops and comes back as a new session: both rooms are joined again.
    raw.drops();
    raw.serverReconnects('sid-2');
    await fixture.whenStable();
    expect(raw.sent('presence:join').slice(-2)).toEqual([{ room: 'public:team' }, { room: 'public:lobby' }]);
    raw.answer('presence:join', { ok: true, room: 'public:team', mode: 'list', version: 1, count: 1, users: [alice] });
    raw.answer('presence:join', { ok: true, room: 'public:lobby', mode: 'count', version: 2, count: 4000 });
    await fixture.whenStable();
    expect(members(root, 'public:team')).toEqual(['alice']);

    // Rooms stay joined while another page is shown.
    q(root, '[data-testid="nav-online"]')!.click();
    await fixture.whenStable();
    q(root, '[data-testid="nav-rooms"]')!.click();
    await fixture.whenStable();
    expect(members(root, 'public:team')).toEqual(['alice']);

    // Leave.
    q(root, '[data-room="public:team"] [data-testid="room-leave"]')!.click();
    await fixture.whenStable();
    expect(raw.sent('presence:leave').at(-1)).toEqual({ room: 'public:team' });
    expect(roomCard(root, 'public:team')).toBeNull();
    expect(document.activeElement?.id).toBe('room-name');
    http.verify();
  });

  it('contacts: added from the online list, watched, dots live, kept in localStorage, re-watched after a reconnect and a reload, removed', async () => {
    let { fixture, root } = await boot();
    const toggle = () => q(root, '[data-testid="online-user"][data-user-id="2"] [data-testid="contact-toggle"]') as HTMLButtonElement;
    const contact = () => q(root, '[data-testid="contact"][data-user-id="2"]');
    expect(q(root, '[data-testid="online-user"][data-user-id="1"] [data-testid="contact-toggle"]')).toBeNull(); // not oneself
    expect(text(toggle())).toBe('Add to contacts: bob');

    toggle().click();
    await fixture.whenStable();
    expect(raw.sent('presence:watch')).toEqual([{ users: [2] }]);
    expect(JSON.parse(localStorage.getItem(contactsKey(1))!)).toEqual([{ id: 2, username: 'bob' }]);
    expect(text(toggle())).toBe('Remove from contacts: bob');
    expect(contact()!.dataset['presence']).toBe('unknown');

    raw.answer('presence:watch', { ok: true, users: [{ id: 2, online: true, status: 'online', last_seen: null }] });
    await fixture.whenStable();
    expect(contact()!.dataset['presence']).toBe('online');
    expect(text(q(root, '[data-testid="contacts-online-count"]'))).toBe('1');

    raw.fire('presence:watch_update', { users: [{ id: 2, online: false, status: 'offline', last_seen: '2026-11-25T22:00:00Z' }] });
    await fixture.whenStable();
    expect(contact()!.dataset['presence']).toBe('offline');
    expect(text(contact()!.querySelector('[data-testid="contact-state"]'))).toMatch(/^offline · last seen /);
    expect(text(q(root, '[data-testid="contacts-announcement"]'))).toMatch(/^bob is now offline/);

    // A reconnect (new session) watches the list again.
    raw.drops();
    raw.serverReconnects('sid-2');
    await fixture.whenStable();
    expect(raw.sent('presence:watch').at(-1)).toEqual({ users: [2] });
    raw.answer('presence:watch', { ok: true, users: [{ id: 2, online: true, status: 'online', last_seen: null }] });
    await fixture.whenStable();
    expect(contact()!.dataset['presence']).toBe('online');

    // A refusal is shown.
    raw.fire('presence:watch_update', { users: [] });
    raw.drops();
    raw.serverReconnects('sid-3');
    raw.answer('presence:watch', { ok: false, code: 'rate_limited', message: 'slow down' });
    await fixture.whenStable();
    expect(text(q(root, '[data-testid="contacts-error"]'))).toContain('Too many requests');

    // A reload: the list comes back from localStorage and is watched once the socket is up.
    TestBed.resetTestingModule();
    ({ fixture, root } = await boot());
    expect(contact()).not.toBeNull();
    expect(raw.sent('presence:watch')).toEqual([{ users: [2] }]);
    raw.answer('presence:watch', { ok: true, users: [{ id: 2, online: true, status: 'online', last_seen: null }] });
    await fixture.whenStable();
    expect(contact()!.dataset['presence']).toBe('online');

    // Remove (from the contacts card): presence:unwatch, storage emptied, focus kept on the card.
    (contact()!.querySelector('[data-testid="contact-remove"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(raw.sent('presence:unwatch')).toEqual([{ users: [2] }]);
    expect(contact()).toBeNull();
    expect(localStorage.getItem(contactsKey(1))).toBeNull();
    expect(document.activeElement?.id).toBe('contacts-title');
    expect(text(toggle())).toBe('Add to contacts: bob');
    http.verify();
  });

  it('after an HTTP login, the stored contacts are watched after the socket is bound (ng-action login first)', async () => {
    localStorage.setItem(contactsKey(1), JSON.stringify([{ id: 2, username: 'bob' }]));
    raw = new FakeRawSocket();
    TestBed.configureTestingModule({
      providers: [...appConfig.providers, provideHttpClientTesting(), { provide: Socket, useValue: fakeWrappedSocket(raw) }],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    await TestBed.inject(Router).navigateByUrl('/login');
    raw.serverAccepts('sid-anon');
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    for (const [name, value] of [
      ['username', 'alice'],
      ['password', 'pw'],
    ]) {
      const input = q(root, `input[name="${name}"]`) as HTMLInputElement;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
    (q(root, 'button[type="submit"]') as HTMLButtonElement).click();
    http.expectOne('/api-token-auth/').flush({ user: alice, token: 'tok-9', agent: 'x' });
    http.expectOne('/api/users/online/').flush({ version: 1, count: 2, users: [alice, bob] });
    await fixture.whenStable();
    const events = raw.emitted.map(([e, p]) => (e === 'ng-action' ? `ng-action ${(p as any).action}` : e));
    expect(events).toEqual(['ng-action login', 'presence:watch']);
    expect(raw.sent('presence:watch')).toEqual([{ users: [2] }]);
  });
});
