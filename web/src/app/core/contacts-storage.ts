import { Injectable } from '@angular/core';
import { MAX_WATCHED } from './models';

/** One person on the contacts watchlist: the id is what is watched, the name what is shown when offline. */
export interface Contact {
  id: number;
  username: string;
}

/** Key of a user's contacts in localStorage: one list per signed-in user of this browser. */
export const contactsKey = (owner: number) => `presenced.contacts.${owner}`;

/**
 * The contacts watchlist, kept in this browser's localStorage per signed-in user (the server stores no
 * contact lists; it only answers who of them is online). Shared by the tabs of the origin, kept after
 * logout, gone when the site's data is cleared. Unreadable entries are dropped, not fatal.
 */
@Injectable({ providedIn: 'root' })
export class ContactsStorage {
  load(owner: number): Contact[] {
    let raw: string | null = null;
    try {
      raw = globalThis.localStorage?.getItem(contactsKey(owner)) ?? null;
    } catch {
      return []; // storage disabled (privacy mode): an empty list for this page's life
    }
    return parseContacts(raw);
  }

  save(owner: number, contacts: readonly Contact[]): void {
    try {
      if (contacts.length) globalThis.localStorage?.setItem(contactsKey(owner), JSON.stringify(contacts));
      else globalThis.localStorage?.removeItem(contactsKey(owner));
    } catch {
      /* ignore: the list then lasts as long as the page */
    }
  }
}

/** The stored JSON → contacts: well-formed entries only, each id once, at most MAX_WATCHED. */
export function parseContacts(raw: string | null): Contact[] {
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const seen = new Set<number>();
  const out: Contact[] = [];
  for (const v of value) {
    if (!v || typeof v !== 'object') continue;
    const { id, username } = v as { id?: unknown; username?: unknown };
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof username !== 'string' || seen.has(id)) continue;
    seen.add(id);
    out.push({ id, username });
    if (out.length === MAX_WATCHED) break;
  }
  return out;
}
