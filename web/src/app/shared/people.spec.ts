import { AVATAR_HUES, avatarHue, contactLabel, hhmm, initials, presenceLabel, shortTime, userTone } from './people';

describe('people helpers', () => {
  it('initials', () => {
    expect(initials('alice')).toBe('AL');
    expect(initials('mary_jane')).toBe('MJ');
    expect(initials('e2e.a-x9')).toBe('EA');
    expect(initials('')).toBe('?');
    expect(initials('é')).toBe('É');
  });

  it('avatarHue is deterministic and in range', () => {
    expect(avatarHue('alice')).toBe(avatarHue('alice'));
    expect(avatarHue('alice')).not.toBe(avatarHue('bob'));
    const seen = new Set<number>();
    for (const n of ['a', 'bob', 'zz', 'ünï', 'maria.lopez', 'Jonas', 'priya_k', 'tom', 'Åsa Berg', 'x1', 'x2', 'x3']) {
      expect(AVATAR_HUES).toContain(avatarHue(n));
      seen.add(avatarHue(n));
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  it('times', () => {
    const t = new Date(2026, 10, 25, 9, 5).getTime();
    expect(hhmm(t)).toBe('09:05');
    expect(shortTime(t, new Date(2026, 10, 25, 23, 0).getTime())).toBe('09:05');
    expect(shortTime(t, new Date(2026, 10, 26, 1, 0).getTime())).toBe('25 Nov, 09:05');
    expect(presenceLabel({ is_online: true }, t, t)).toBe('online since 09:05');
    expect(presenceLabel({ is_online: true }, null, t)).toBe('online');
    expect(presenceLabel({ is_online: false, last_seen: new Date(t).toISOString() }, null, t)).toBe('last seen 09:05');
  });

  it('contact lines and dot tones', () => {
    const t = new Date(2026, 10, 25, 9, 5).getTime();
    expect(contactLabel('online', null, t)).toBe('online');
    expect(contactLabel('dnd', null, t)).toBe('do not disturb');
    expect(contactLabel('offline', new Date(t).toISOString(), t)).toBe('offline · last seen 09:05');
    expect(contactLabel('offline', null, t)).toBe('offline');
    expect(contactLabel('offline', 'garbage', t)).toBe('offline');
    expect(contactLabel('unknown', null, t)).toBe('checking…');
    expect(userTone({})).toBe('online');
    expect(userTone({ status: 'away' })).toBe('away');
    expect(userTone({ status: 'online', is_online: true })).toBe('online');
    expect(userTone({ is_online: false })).toBe('offline');
  });
});
