import { createActionGroup, props } from '@ngrx/store';
import { ConnectionStatus } from '../../core/presence-socket';

export const connectionActions = createActionGroup({
  source: 'Socket',
  events: {
    'Status Changed': props<{ status: ConnectionStatus; socketId: string | null; attempt: number; reason: string | null }>(),
    'Ping Received': props<{ seq: number | null; ts: number | null; at: number }>(),
    'Stats Received': props<{ stats: unknown; at: number }>(),
    'Server Error': props<{ code: string; message: string }>(),
    /** The server refused the socket's CONNECT (bad token in `auth`). */
    Rejected: props<{ message: string }>(),
  },
});
