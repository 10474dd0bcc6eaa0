import { createActionGroup, emptyProps, props } from '@ngrx/store';
import { PresenceError } from '../../core/ack-errors';
import { JoinAck, RoomSnapshot, RoomUpdate } from '../../core/models';

export const roomsActions = createActionGroup({
  source: 'Rooms',
  events: {
    /** The user asks to join a room (from the form or a suggestion). */
    'Join Requested': props<{ room: string }>(),
    /**
     * Join these rooms again: after a CONNECT that did not recover the session (the new socket is in no
     * room), or when a refetch after a version gap failed.
     */
    'Rejoin Requested': props<{ rooms: string[] }>(),
    /** `attempt` is the room's attempt number the `presence:join` was sent for (older answers are dropped). */
    'Join Succeeded': props<{ room: string; attempt: number; ack: JoinAck }>(),
    'Join Failed': props<{ room: string; attempt: number; error: PresenceError }>(),
    /** The user leaves (the room goes from the page at once; `presence:leave` follows). */
    'Leave Requested': props<{ room: string }>(),
    'Leave Failed': props<{ room: string; error: PresenceError }>(),
    /** A room shown with an error is taken off the page. */
    Dismissed: props<{ room: string }>(),
    'Notice Dismissed': emptyProps(),

    /** `presence:update`. */
    'Update Received': props<{ update: RoomUpdate }>(),
    /** A version gap: `GET /api/rooms/<room>/presence/`. */
    'Refetch Requested': props<{ room: string }>(),
    'Snapshot Loaded': props<{ room: string; snapshot: RoomSnapshot }>(),
    'Snapshot Failed': props<{ room: string; message: string }>(),
  },
});
