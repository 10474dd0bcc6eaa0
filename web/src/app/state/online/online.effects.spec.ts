import { HttpErrorResponse } from '@angular/common/http';
import { Observable, firstValueFrom, of, throwError, toArray } from 'rxjs';
import { alice, bob } from '../../../testing/fixtures';
import { onlineActions } from './online.actions';
import * as fx from './online.effects';

const collect = (o: Observable<unknown>) => firstValueFrom(o.pipe(toArray()));
const storeWithVersion = (v: number | null) => ({ select: () => of(v) });

describe('online effects', () => {
  it('a version gap triggers a refetch', async () => {
    const out = await collect(
      fx.refetchOnGap$(
        of(onlineActions.updateReceived({ update: { version: 9, count: 1, joined: [alice], left: [] }, previousVersion: 7, at: 1 })) as any,
      ),
    );
    expect(out).toEqual([onlineActions.refetchRequested({ reason: 'gap' })]);
  });

  it('a consecutive version does not refetch', async () => {
    const out = await collect(
      fx.refetchOnGap$(
        of(onlineActions.updateReceived({ update: { version: 8, count: 1, joined: [alice], left: [] }, previousVersion: 7, at: 1 })) as any,
      ),
    );
    expect(out).toEqual([]);
  });

  it('a full users list replaces the list and needs no refetch, whatever its version', async () => {
    const out = await collect(
      fx.refetchOnGap$(
        of(onlineActions.updateReceived({ update: { version: 42, count: 2, joined: [], left: [], users: [alice, bob] }, previousVersion: 7, at: 1 })) as any,
      ),
    );
    expect(out).toEqual([]);
  });

  it('refetch loads GET /api/users/online/ with the version held as basis', async () => {
    const snapshot = { version: 10, count: 2, users: [alice, bob] };
    const api = { online: vi.fn(() => of(snapshot)) };
    const [action] = (await collect(
      fx.refetch$(of(onlineActions.refetchRequested({ reason: 'gap' })) as any, api as any, storeWithVersion(7) as any),
    )) as any[];
    expect(action).toMatchObject({ type: onlineActions.snapshotLoaded.type, snapshot, basis: 7 });
    expect(typeof action.at).toBe('number');
  });

  it('refetch failure → Snapshot Failed', async () => {
    const api = { online: vi.fn(() => throwError(() => new HttpErrorResponse({ status: 503, statusText: 'Unavailable' }))) };
    const out = await collect(
      fx.refetch$(of(onlineActions.refetchRequested({ reason: 'login' })) as any, api as any, storeWithVersion(null) as any),
    );
    expect(out).toEqual([onlineActions.snapshotFailed({ message: '503 Unavailable' })]);
  });
});
