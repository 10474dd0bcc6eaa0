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
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { Router } from '@angular/router';
import { Store } from '@ngrx/store';
import { formatCount } from '../../shared/format';
import { avatarHue, contactLabel, initials } from '../../shared/people';
import { selectConnectionStatus } from '../../state/connection/connection.selectors';
import { contactsActions } from '../../state/contacts/contacts.actions';
import { selectContactsFull } from '../../state/contacts/contacts.selectors';
import { directoryActions } from '../../state/directory/directory.actions';
import { DirectoryEntry, selectDirectoryEntries, selectDirectoryPageView } from '../../state/directory/directory.selectors';
import { matchesFilter, parsePageParam } from './people-filter';

interface PersonRow extends DirectoryEntry {
  initials: string;
  hue: number;
  label: string;
}

/**
 * The People page: every account (`GET /api/users/?page=N`, 50 a page, the page number in the URL as
 * `?page=N`), each with a live dot (contacts watch, online list) and "Add to contacts" / "Remove from
 * contacts", so that people who are offline can be put on the watchlist too. The filter narrows the page
 * shown (the API has no search).
 */
@Component({
  selector: 'app-people-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './people.page.html',
})
export class PeoplePage {
  /** `?page=N` (bound by the router); absent: the first page. */
  readonly page = input<string | undefined>();

  private readonly store = inject(Store);
  private readonly router = inject(Router);
  private readonly host = inject(ElementRef<HTMLElement>);
  private readonly injector = inject(Injector);
  private readonly entries = this.store.selectSignal(selectDirectoryEntries);
  protected readonly view = this.store.selectSignal(selectDirectoryPageView);
  protected readonly connection = this.store.selectSignal(selectConnectionStatus);
  protected readonly contactsFull = this.store.selectSignal(selectContactsFull);

  protected readonly filter = new FormControl('', { nonNullable: true });
  protected readonly filterText = toSignal(this.filter.valueChanges, { initialValue: '' });

  /** Re-evaluated every 30 s so "last seen" switches to a date after midnight. */
  private readonly now = signal(Date.now());

  /** The page asked for is on screen (a reload of it may be under way). */
  protected readonly current = computed(() => this.view().shown === this.view().page);
  /** Another page is on its way: skeleton rows meanwhile (the loaded ones belong to another page). */
  protected readonly waiting = computed(() => !this.current() && this.view().error === null);

  private readonly allRows = computed<PersonRow[]>(() => {
    const now = this.now();
    return this.entries().map((e) => ({
      ...e,
      initials: initials(e.username),
      hue: avatarHue(e.username),
      label: contactLabel(e.tone, e.lastSeen, now),
    }));
  });
  protected readonly rows = computed(() => this.allRows().filter((r) => matchesFilter(r.username, this.filterText())));
  protected readonly filtering = computed(() => this.filterText().trim() !== '');

  protected readonly countText = computed(() => formatCount(this.view().count));
  protected readonly pagesText = computed(() => {
    const pages = this.view().pages;
    return pages === null ? '…' : formatCount(pages);
  });

  /** What a screen reader hears when a page has loaded ("Page 2 of 3, people 51 to 100 of 123."). */
  protected readonly pageAnnouncement = computed(() => {
    const v = this.view();
    if (!this.current() || v.loading || v.count === null) return '';
    const range = v.from !== null ? `, people ${v.from} to ${v.to} of ${v.count}` : '';
    return `Page ${v.shown} of ${v.pages}${range}.`;
  });
  /** The last add or remove, for screen readers. */
  protected readonly contactAnnouncement = signal('');

  constructor() {
    // The URL is the source of the page number: entering the page, the pager, back and forward.
    effect(() => {
      const raw = this.page();
      untracked(() => {
        const page = parsePageParam(raw);
        if (page === null) void this.router.navigate(['/people'], { replaceUrl: true });
        else this.store.dispatch(directoryActions.pageRequested({ page }));
      });
    });
    const tick = setInterval(() => this.now.set(Date.now()), 30_000);
    inject(DestroyRef).onDestroy(() => clearInterval(tick));
  }

  protected go(page: number): void {
    void this.router.navigate(['/people'], page > 1 ? { queryParams: { page } } : {});
  }

  protected previous(): void {
    const v = this.view();
    if (v.hasPrevious) this.go(v.page - 1);
  }

  protected next(): void {
    const v = this.view();
    if (v.hasNext) this.go(v.page + 1);
  }

  protected reload(): void {
    this.store.dispatch(directoryActions.pageRequested({ page: this.view().page }));
  }

  protected firstPage(): void {
    this.go(1);
    this.focus('#people-title');
  }

  protected toggleContact(row: PersonRow): void {
    if (row.isContact) {
      this.store.dispatch(contactsActions.removeRequested({ id: row.id }));
      this.contactAnnouncement.set(`${row.username} removed from contacts`);
    } else {
      this.store.dispatch(contactsActions.addRequested({ contact: { id: row.id, username: row.username } }));
      this.contactAnnouncement.set(`${row.username} added to contacts`);
    }
  }

  protected clearFilter(refocus = true): void {
    this.filter.setValue('');
    if (refocus) this.focus('#people-filter');
  }

  protected onFilterKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.filter.value !== '') {
      event.preventDefault();
      this.clearFilter(false);
    }
  }

  private focus(selector: string): void {
    afterNextRender(
      { read: () => (this.host.nativeElement as HTMLElement).querySelector<HTMLElement>(selector)?.focus() },
      { injector: this.injector },
    );
  }
}
