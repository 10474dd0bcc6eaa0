import { createActionGroup, emptyProps, props } from '@ngrx/store';
import { PresenceError } from '../../core/ack-errors';
import { Contact } from '../../core/contacts-storage';
import { WatchedState } from '../../core/models';

export const contactsActions = createActionGroup({
  source: 'Contacts',
  events: {
    /** The signed-in user's list, read from this browser's storage. */
    Loaded: props<{ owner: number; contacts: Contact[] }>(),
    /** "Add to contacts" in the online list or on the People page. */
    'Add Requested': props<{ contact: Contact }>(),
    'Remove Requested': props<{ id: number }>(),
    /** Another tab of this browser changed the stored list: take it, watch the added, unwatch the removed. */
    'Synced From Storage': props<{ contacts: Contact[]; added: number[]; removed: number[] }>(),
    /** Watch the whole list again: after a CONNECT that did not recover the session. */
    'Resync Requested': emptyProps(),
    /** `presence:watch` ack: the states of the users just watched. */
    'Watch Answered': props<{ users: WatchedState[] }>(),
    'Watch Failed': props<{ error: PresenceError }>(),
    /** `presence:watch_update`. */
    'Watch Update Received': props<{ users: WatchedState[] }>(),
    'Unwatch Failed': props<{ error: PresenceError }>(),
    'Error Dismissed': emptyProps(),
  },
});
