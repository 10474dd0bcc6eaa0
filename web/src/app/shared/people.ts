/** Small presentation helpers: initials, avatar hue, times. Pure functions (unit-tested). */

/** Up to two letters: first letters of the first two words, or the first two letters of one word. */
export function initials(username: string): string {
  const name = (username ?? '').trim();
  if (!name) return '?';
  const parts = name.split(/[\s._\-@+]+/).filter(Boolean);
  const chars = parts.length >= 2 ? [firstChar(parts[0]), firstChar(parts[1])] : Array.from(parts[0] ?? name).slice(0, 2);
  return chars.join('').toUpperCase();
}

function firstChar(s: string): string {
  return Array.from(s)[0] ?? '';
}

/**
 * Hues (OKLCH) that all read well with white initials in light and dark themes; the muddy
 * olive/brown range is left out on purpose.
 */
export const AVATAR_HUES = [10, 35, 145, 165, 190, 215, 245, 270, 295, 320, 345] as const;

/** A stable hue from the username (FNV-1a), so a person keeps their colour everywhere. */
export function avatarHue(username: string): number {
  let h = 0x811c9dc5;
  for (const ch of username ?? '') {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return AVATAR_HUES[h % AVATAR_HUES.length];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "HH:MM" in local time. */
export function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "HH:MM" today, "D Mon, HH:MM" before. */
export function shortTime(ms: number, now: number = Date.now()): string {
  const d = new Date(ms);
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return sameDay ? hhmm(ms) : `${d.getDate()} ${MONTHS[d.getMonth()]}, ${hhmm(ms)}`;
}

/** "online since 14:05", or "last seen 9 Nov, 18:30" for someone offline. */
export function presenceLabel(
  user: { is_online?: boolean; last_seen?: string | null },
  since: number | null,
  now: number = Date.now(),
): string {
  if (user.is_online === false) {
    const seen = user.last_seen ? Date.parse(user.last_seen) : NaN;
    return Number.isNaN(seen) ? 'offline' : `last seen ${shortTime(seen, now)}`;
  }
  return since === null ? 'online' : `online since ${shortTime(since, now)}`;
}

/** A status dot's meaning: `unknown` while no answer came (shown hollow). */
export type PresenceTone = 'online' | 'away' | 'dnd' | 'offline' | 'unknown';

/** The tone of a user object's status (rich presence), online when the server sends none. */
export function userTone(user: { status?: string | null; is_online?: boolean }): PresenceTone {
  if (user.status === 'away' || user.status === 'dnd') return user.status;
  if (user.status === 'offline' || user.is_online === false) return 'offline';
  return 'online';
}

/** What a watched contact's line says: "online", "away", "do not disturb", "last seen …", "offline". */
export function contactLabel(tone: PresenceTone, lastSeen: string | null, now: number = Date.now()): string {
  switch (tone) {
    case 'online':
      return 'online';
    case 'away':
      return 'away';
    case 'dnd':
      return 'do not disturb';
    case 'offline': {
      const seen = lastSeen ? Date.parse(lastSeen) : NaN;
      return Number.isNaN(seen) ? 'offline' : `offline · last seen ${shortTime(seen, now)}`;
    }
    case 'unknown':
      return 'checking…';
  }
}
