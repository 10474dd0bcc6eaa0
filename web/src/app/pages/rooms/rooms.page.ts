import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { Store } from '@ngrx/store';
import { map, startWith } from 'rxjs';
import { PUBLIC_ROOM_PREFIX } from '../../core/models';
import { formatCount } from '../../shared/format';
import { avatarHue, contactLabel, initials, userTone } from '../../shared/people';
import { selectConnectionStatus } from '../../state/connection/connection.selectors';
import { roomsActions } from '../../state/rooms/rooms.actions';
import { RoomView, selectRoomNames, selectRoomViews, selectRoomsNotice } from '../../state/rooms/rooms.selectors';
import { roomNameMessages, roomNameValidators } from './room-name';

/** Public rooms offered as one-click joins (the server lists no rooms). */
export const SUGGESTED_ROOMS = ['public:lobby', 'public:random', 'public:help'] as const;

interface MemberRow {
  id: number;
  username: string;
  isMe: boolean;
  initials: string;
  hue: number;
  tone: string;
  label: string;
}

interface RoomCard {
  room: RoomView;
  /** "Live", "Joining…", … */
  state: string;
  /** The count shown, "—" while none is known. */
  countText: string;
  members: MemberRow[] | null;
}

/**
 * The rooms page: join public rooms by name or from the suggestions, several at once, and see each
 * room's members live with their count (only the count in a large room). Rooms are held in the store,
 * so they stay joined while the user looks at other pages, and are joined again after a reconnect.
 */
@Component({
  selector: 'app-rooms-page',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './rooms.page.html',
})
export class RoomsPage {
  private readonly store = inject(Store);
  private readonly host = inject(ElementRef<HTMLElement>);
  private readonly injector = inject(Injector);
  private readonly views = this.store.selectSignal(selectRoomViews);
  private readonly names = this.store.selectSignal(selectRoomNames);
  protected readonly notice = this.store.selectSignal(selectRoomsNotice);
  protected readonly connection = this.store.selectSignal(selectConnectionStatus);
  protected readonly suggestions = SUGGESTED_ROOMS;

  protected readonly form = new FormGroup({
    room: new FormControl(PUBLIC_ROOM_PREFIX, { nonNullable: true, validators: roomNameValidators }),
  });
  /** Set by a submit: errors show from then on, also for an untouched field. */
  protected readonly submitted = signal(false);
  /** The field's validation errors, as a signal (validators have run when valueChanges emits). */
  private readonly errors = toSignal(
    this.form.controls.room.valueChanges.pipe(
      map(() => this.form.controls.room.errors),
      startWith(this.form.controls.room.errors),
    ),
    { initialValue: null },
  );
  /** Left the field after editing it: errors show from then on. */
  private readonly touched = signal(false);

  protected readonly nameErrors = computed(() => (this.submitted() || this.touched() ? roomNameMessages(this.errors()) : []));

  protected readonly joinedSet = computed(() => new Set(this.names()));

  protected readonly cards = computed<RoomCard[]>(() =>
    this.views().map((room) => ({
      room,
      state: stateText(room, this.connection()),
      countText: room.known || room.status === 'joined' ? formatCount(room.count) : '—',
      members:
        room.members?.map((m) => {
          const tone = userTone(m.user);
          return {
            id: m.id,
            username: m.username,
            isMe: m.isMe,
            initials: initials(m.username),
            hue: avatarHue(m.username),
            tone,
            label: tone === 'online' ? 'here' : contactLabel(tone, null),
          };
        }) ?? null,
    })),
  );

  protected onBlur(): void {
    this.touched.set(this.form.controls.room.dirty);
  }

  protected join(): void {
    const control = this.form.controls.room;
    this.submitted.set(true);
    if (control.invalid) {
      this.focus('#room-name');
      return;
    }
    const room = control.value;
    if (this.joinedSet().has(room)) {
      this.focusRoom(room);
    } else {
      this.store.dispatch(roomsActions.joinRequested({ room }));
    }
    control.reset(PUBLIC_ROOM_PREFIX);
    this.submitted.set(false);
    this.touched.set(false);
  }

  protected joinSuggested(room: string): void {
    if (this.joinedSet().has(room)) this.focusRoom(room);
    else this.store.dispatch(roomsActions.joinRequested({ room }));
  }

  protected leave(room: string): void {
    this.store.dispatch(roomsActions.leaveRequested({ room }));
    this.focus('#room-name');
  }

  protected retry(room: string): void {
    this.store.dispatch(roomsActions.joinRequested({ room }));
    this.focusRoom(room); // the Retry button goes with the error
  }

  protected dismiss(room: string): void {
    this.store.dispatch(roomsActions.dismissed({ room }));
    this.focus('#room-name');
  }

  protected dismissNotice(): void {
    this.store.dispatch(roomsActions.noticeDismissed());
  }

  private focusRoom(room: string): void {
    const i = this.names().indexOf(room);
    if (i >= 0) this.focus(`#room-title-${i}`);
  }

  private focus(selector: string): void {
    afterNextRender(
      { read: () => (this.host.nativeElement as HTMLElement).querySelector<HTMLElement>(selector)?.focus() },
      { injector: this.injector },
    );
  }
}

function stateText(room: RoomView, connection: string): string {
  switch (room.status) {
    case 'error':
      return 'Could not join';
    case 'joining':
      if (connection !== 'connected') return 'Waiting for the connection…';
      return room.known ? 'Joining again…' : 'Joining…';
    case 'joined':
      if (connection === 'reconnecting') return 'Paused, reconnecting…';
      if (connection === 'offline') return 'Offline, may be out of date';
      if (room.stale) return 'Catching up…';
      return room.mode === 'count' ? 'Live · count only' : 'Live';
  }
}
