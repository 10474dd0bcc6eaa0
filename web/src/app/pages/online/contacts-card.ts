import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { Store } from '@ngrx/store';
import { ConnectionStatus } from '../../core/presence-socket';
import { avatarHue, contactLabel, initials } from '../../shared/people';
import { contactsActions } from '../../state/contacts/contacts.actions';
import { ContactView, selectContactViews, selectContactsError } from '../../state/contacts/contacts.selectors';

interface ContactRow extends ContactView {
  initials: string;
  hue: number;
  label: string;
}

/**
 * The contacts watchlist (people added from the online list or the People page): each with a live dot from
 * `presence:watch` / `presence:watch_update`, "last seen" when offline and known, and a Remove control.
 */
@Component({
  selector: 'app-contacts-card',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './contacts-card.html',
})
export class ContactsCard {
  readonly connection = input.required<ConnectionStatus>();

  private readonly store = inject(Store);
  private readonly host = inject(ElementRef<HTMLElement>);
  private readonly injector = inject(Injector);
  private readonly contacts = this.store.selectSignal(selectContactViews);
  protected readonly error = this.store.selectSignal(selectContactsError);
  /** Re-evaluated every 30 s so "last seen" switches to a date after midnight. */
  private readonly now = signal(Date.now());

  protected readonly rows = computed<ContactRow[]>(() => {
    const now = this.now();
    return this.contacts().map((c) => ({
      ...c,
      initials: initials(c.username),
      hue: avatarHue(c.username),
      label: contactLabel(c.tone, c.lastSeen, now),
    }));
  });
  protected readonly onlineCount = computed(() => this.contacts().filter((c) => c.online === true).length);
  /** The last change of a known dot, for screen readers ("bob is now offline"). */
  protected readonly announcement = signal('');

  constructor() {
    let previous = new Map<number, string>();
    effect(() => {
      const rows = this.rows();
      untracked(() => {
        const changed = rows.filter(
          (r) => r.tone !== 'unknown' && previous.has(r.id) && previous.get(r.id) !== 'unknown' && previous.get(r.id) !== r.tone,
        );
        if (changed.length) this.announcement.set(changed.map((r) => `${r.username} is now ${r.label}`).join('. '));
        previous = new Map(rows.map((r) => [r.id, r.tone]));
      });
    });
    const tick = setInterval(() => this.now.set(Date.now()), 30_000);
    inject(DestroyRef).onDestroy(() => clearInterval(tick));
  }

  protected remove(id: number): void {
    const ids = this.rows().map((r) => r.id);
    const at = ids.indexOf(id);
    const next = ids[at + 1] ?? ids[at - 1] ?? null;
    this.store.dispatch(contactsActions.removeRequested({ id }));
    // The focused button is gone with its row: move to the neighbour's, or to the heading.
    afterNextRender(
      {
        read: () => {
          const root = this.host.nativeElement as HTMLElement;
          const target =
            (next !== null && root.querySelector<HTMLElement>(`[data-user-id="${next}"] [data-testid="contact-remove"]`)) ||
            root.querySelector<HTMLElement>('#contacts-title');
          target?.focus();
        },
      },
      { injector: this.injector },
    );
  }

  protected dismissError(): void {
    this.store.dispatch(contactsActions.errorDismissed());
  }
}
