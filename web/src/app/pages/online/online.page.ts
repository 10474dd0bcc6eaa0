import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal, untracked } from '@angular/core';
import { Store } from '@ngrx/store';
import { avatarHue, initials, presenceLabel, shortTime } from '../../shared/people';
import { selectConnectionStatus } from '../../state/connection/connection.selectors';
import { contactsActions } from '../../state/contacts/contacts.actions';
import { selectContactIdSet, selectContactsFull } from '../../state/contacts/contacts.selectors';
import {
  OnlineEntry,
  selectOnlineCount,
  selectOnlineLastUpdate,
  selectOnlineList,
  selectOnlineLoaded,
} from '../../state/online/online.selectors';
import { ContactsCard } from './contacts-card';

interface Row {
  entry: OnlineEntry;
  initials: string;
  hue: number;
  label: string;
  /** "14:05" when the label is "online since 14:05" (shown in a <time>). */
  sinceText: string | null;
  sinceIso: string | null;
  /** A user who just left, kept a moment for the fade-out (not part of the list for tests or readers). */
  leaving: boolean;
  /** On the contacts watchlist. */
  isContact: boolean;
}

/** How long a departed user fades out (ms). Zero when the user prefers reduced motion. */
const LEAVE_MS = 420;

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** The online page: who is here now, live; and the contacts watchlist, filled from this list. */
@Component({
  selector: 'app-online-page',
  imports: [ContactsCard],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './online.page.html',
})
export class OnlinePage {
  private readonly store = inject(Store);
  private readonly list = this.store.selectSignal(selectOnlineList);
  protected readonly count = this.store.selectSignal(selectOnlineCount);
  protected readonly loaded = this.store.selectSignal(selectOnlineLoaded);
  protected readonly lastUpdate = this.store.selectSignal(selectOnlineLastUpdate);
  protected readonly connection = this.store.selectSignal(selectConnectionStatus);
  private readonly contactIds = this.store.selectSignal(selectContactIdSet);
  protected readonly contactsFull = this.store.selectSignal(selectContactsFull);

  /** Re-evaluated each minute so "online since" switches to a date after midnight. */
  private readonly minute = signal(Date.now());
  private readonly ghosts = signal<ReadonlyMap<number, OnlineEntry>>(new Map());
  private readonly reducedMotion =
    typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

  protected readonly rows = computed<Row[]>(() => {
    const now = this.minute();
    const live = this.list();
    const contacts = this.contactIds();
    const ghosts = [...this.ghosts().values()].filter((g) => !live.some((e) => e.id === g.id));
    const all: Array<[OnlineEntry, boolean]> = [...live.map((e) => [e, false] as [OnlineEntry, boolean]), ...ghosts.map((g) => [g, true] as [OnlineEntry, boolean])];
    if (ghosts.length) {
      all.sort(([a], [b]) => Number(b.isMe) - Number(a.isMe) || collator.compare(a.username, b.username) || a.id - b.id);
    }
    return all.map(([entry, leaving]) => ({
      entry,
      initials: initials(entry.username),
      hue: avatarHue(entry.username),
      label: presenceLabel(entry.user, entry.since, now),
      sinceText: entry.since !== null && entry.user.is_online !== false ? shortTime(entry.since, now) : null,
      sinceIso: entry.since !== null ? new Date(entry.since).toISOString() : null,
      leaving,
      isContact: contacts.has(entry.id),
    }));
  });

  protected readonly lastUpdateText = computed(() => {
    const t = this.lastUpdate();
    return t === null ? null : shortTime(t, this.minute());
  });

  protected toggleContact(row: Row): void {
    if (row.isContact) this.store.dispatch(contactsActions.removeRequested({ id: row.entry.id }));
    else this.store.dispatch(contactsActions.addRequested({ contact: { id: row.entry.id, username: row.entry.username } }));
  }

  constructor() {
    const destroyRef = inject(DestroyRef);
    const timers = new Set<ReturnType<typeof setTimeout>>();
    let previous: OnlineEntry[] | null = null;

    // Keep users who just left on screen for a short fade-out.
    effect(() => {
      const current = this.list();
      untracked(() => {
        if (previous && !this.reducedMotion) {
          const ids = new Set(current.map((e) => e.id));
          const gone = previous.filter((e) => !ids.has(e.id));
          if (gone.length) {
            const next = new Map(this.ghosts());
            for (const g of gone) next.set(g.id, g);
            this.ghosts.set(next);
            const t = setTimeout(() => {
              timers.delete(t);
              const left = new Map(this.ghosts());
              for (const g of gone) left.delete(g.id);
              this.ghosts.set(left);
            }, LEAVE_MS);
            timers.add(t);
          }
        }
        previous = current;
      });
    });

    const tick = setInterval(() => this.minute.set(Date.now()), 30_000);
    destroyRef.onDestroy(() => {
      clearInterval(tick);
      for (const t of timers) clearTimeout(t);
    });
  }
}
