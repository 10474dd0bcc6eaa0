import { createActionGroup, props } from '@ngrx/store';
import { OnlineSnapshot, OnlineUpdate } from '../../core/models';

export const onlineActions = createActionGroup({
  source: 'Online',
  events: {
    /**
     * `server-action:update_user_online`. `previousVersion` is the version the store held when the event
     * arrived (to spot a gap); `at` the arrival time (epoch ms).
     */
    'Update Received': props<{ update: OnlineUpdate; previousVersion: number | null; at: number }>(),
    /** Load the full list (`GET /api/users/online/`): after login, or on a version gap. */
    'Refetch Requested': props<{ reason: 'login' | 'gap' | 'manual' }>(),
    /** `basis` is the version the store held when the request went out. */
    'Snapshot Loaded': props<{ snapshot: OnlineSnapshot; basis: number | null; at: number }>(),
    'Snapshot Failed': props<{ message: string }>(),
  },
});
