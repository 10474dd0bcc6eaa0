import { HttpErrorResponse } from '@angular/common/http';
import { inject } from '@angular/core';
import { Actions, createEffect, ofType } from '@ngrx/effects';
import { Store } from '@ngrx/store';
import { EMPTY, catchError, exhaustMap, filter, from, groupBy, map, mergeMap, of, withLatestFrom } from 'rxjs';
import { toPresenceError } from '../../core/ack-errors';
import { ApiService } from '../../core/api.service';
import { JoinAck } from '../../core/models';
import { PresenceSocket } from '../../core/presence-socket';
import { connectionActions } from '../connection/connection.actions';
import { selectSessionStatus } from '../session/session.selectors';
import { roomsActions } from './rooms.actions';
import { Room, isRoomSnapshot, roomOf } from './rooms.reducer';
import { selectRoomsState } from './rooms.selectors';

/** `presence:update` → store, while signed in (an update for a room not held is ignored by the reducer). */
export const roomUpdates$ = createEffect(
  (socket = inject(PresenceSocket), store = inject(Store)) =>
    socket.roomUpdate$.pipe(
      withLatestFrom(store.select(selectSessionStatus)),
      filter(([u, status]) => status === 'authenticated' && typeof u.room === 'string' && typeof u.version === 'number'),
      map(([update]) => roomsActions.updateReceived({ update })),
    ),
  { functional: true },
);

/**
 * `presence:join` for each room the reducer put in `joining` (a new join, a retry, a rejoin). Not connected:
 * nothing is sent and the room stays `joining` until the next CONNECT rejoins it. The answer carries the
 * attempt it was sent for, so an answer that arrives after a newer join is dropped.
 */
export const join$ = createEffect(
  (actions$ = inject(Actions), socket = inject(PresenceSocket), store = inject(Store)) =>
    actions$.pipe(
      ofType(roomsActions.joinRequested, roomsActions.rejoinRequested),
      withLatestFrom(store.select(selectRoomsState)),
      mergeMap(([action, state]) => {
        const names = action.type === roomsActions.joinRequested.type ? [action.room] : action.rooms;
        const rooms = names.map((n) => roomOf(state, n)).filter((r): r is Room => r?.status === 'joining');
        return from(rooms).pipe(
          mergeMap(({ name: room, attempt }) =>
            socket.requestBound<JoinAck>('presence:join', { room }).pipe(
              filter((ack) => ack.ok || ack.code !== 'offline'),
              map((ack) => {
                if (!ack.ok) return roomsActions.joinFailed({ room, attempt, error: toPresenceError(ack) });
                if (typeof ack.version !== 'number' || typeof ack.count !== 'number') {
                  return roomsActions.joinFailed({ room, attempt, error: toPresenceError({ code: 'bad_ack' }) });
                }
                return roomsActions.joinSucceeded({ room, attempt, ack });
              }),
            ),
          ),
        );
      }),
    ),
  { functional: true },
);

/** `presence:leave`. Not connected: nothing to do (the next socket joins only what the page holds). */
export const leave$ = createEffect(
  (actions$ = inject(Actions), socket = inject(PresenceSocket)) =>
    actions$.pipe(
      ofType(roomsActions.leaveRequested),
      mergeMap(({ room }) =>
        socket.request('presence:leave', { room }).pipe(
          filter((ack) => !ack.ok && ack.code !== 'offline'),
          map((ack) => roomsActions.leaveFailed({ room, error: toPresenceError(ack.ok ? { code: 'unknown' } : ack) })),
        ),
      ),
    ),
  { functional: true },
);

/**
 * A refused room taken off the page: `presence:leave` all the same, its answer ignored (after a `timeout`
 * the server may have joined the socket and only the ack was lost).
 */
export const leaveDismissed$ = createEffect(
  (actions$ = inject(Actions), socket = inject(PresenceSocket)) =>
    actions$.pipe(
      ofType(roomsActions.dismissed),
      mergeMap(({ room }) => socket.request('presence:leave', { room }).pipe(mergeMap(() => EMPTY))),
    ),
  { functional: true, dispatch: false },
);

/** A list-mode update that does not follow the version held (the reducer marked the room stale). */
export const refetchOnGap$ = createEffect(
  (actions$ = inject(Actions), store = inject(Store)) =>
    actions$.pipe(
      ofType(roomsActions.updateReceived),
      withLatestFrom(store.select(selectRoomsState)),
      filter(([{ update }, state]) => !!roomOf(state, update.room)?.stale),
      map(([{ update }]) => roomsActions.refetchRequested({ room: update.room })),
    ),
  { functional: true },
);

/**
 * `GET /api/rooms/<room>/presence/`, one request at a time per room (requests while one is out are
 * dropped: a stale room asks again with its next update). `.` and `..` cannot be put in a path: rejoin.
 */
export const refetch$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService)) =>
    actions$.pipe(
      ofType(roomsActions.refetchRequested),
      groupBy(({ room }) => room),
      mergeMap((perRoom) =>
        perRoom.pipe(
          exhaustMap(({ room }) => {
            if (room === '.' || room === '..') return of(roomsActions.snapshotFailed({ room, message: 'not addressable' }));
            return api.roomPresence(room).pipe(
              map((snapshot) =>
                isRoomSnapshot(snapshot)
                  ? roomsActions.snapshotLoaded({ room, snapshot })
                  : roomsActions.snapshotFailed({ room, message: 'unreadable answer' }),
              ),
              catchError((err: unknown) =>
                of(
                  roomsActions.snapshotFailed({
                    room,
                    message: err instanceof HttpErrorResponse ? `${err.status} ${err.statusText}` : String(err),
                  }),
                ),
              ),
            );
          }),
        ),
      ),
    ),
  { functional: true },
);

/** No snapshot over HTTP: the join's ack brings one. */
export const rejoinWhenRefetchFails$ = createEffect(
  (actions$ = inject(Actions), store = inject(Store)) =>
    actions$.pipe(
      ofType(roomsActions.snapshotFailed),
      withLatestFrom(store.select(selectRoomsState)),
      filter(([{ room }, state]) => roomOf(state, room)?.status === 'joined'),
      map(([{ room }]) => roomsActions.rejoinRequested({ rooms: [room] })),
    ),
  { functional: true },
);

/**
 * After each CONNECT while signed in: a new socket is in no room, so every room on the page is joined
 * again (refused ones stay as they are, with their Retry). A recovered session kept its rooms: only the
 * joins that never got an answer are sent again.
 */
export const rejoinOnConnect$ = createEffect(
  (actions$ = inject(Actions), store = inject(Store), socket = inject(PresenceSocket)) =>
    actions$.pipe(
      ofType(connectionActions.statusChanged),
      // The Manager's `reconnect` reports connected before the namespace CONNECT (no socket id yet).
      filter(({ status, socketId }) => status === 'connected' && socketId !== null),
      withLatestFrom(store.select(selectSessionStatus), store.select(selectRoomsState)),
      mergeMap(([, session, state]) => {
        if (session !== 'authenticated') return EMPTY;
        const recovered = socket.recovered;
        const rooms = state.names.filter((n) => {
          const status = state.rooms[n].status;
          return recovered ? status === 'joining' : status !== 'error';
        });
        return rooms.length ? of(roomsActions.rejoinRequested({ rooms })) : EMPTY;
      }),
    ),
  { functional: true },
);
