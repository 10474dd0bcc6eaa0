import { HttpErrorResponse } from '@angular/common/http';
import { Observable, Subject, firstValueFrom, of, throwError, toArray } from 'rxjs';
import { alice } from '../../../testing/fixtures';
import { directoryActions, toDirectoryError } from './directory.actions';
import * as fx from './directory.effects';

const collect = (o: Observable<unknown>) => firstValueFrom(o.pipe(toArray()));
const httpError = (status: number, statusText = '') => new HttpErrorResponse({ status, statusText });

describe('directory effects', () => {
  it('GET /api/users/?page=N → Page Loaded', async () => {
    const response = { count: 1, next: null, previous: null, results: [alice] };
    const api = { users: vi.fn(() => of(response)) };
    const [a] = (await collect(fx.loadPage$(of(directoryActions.pageRequested({ page: 3 })) as any, api as any))) as any[];
    expect(api.users).toHaveBeenCalledWith(3);
    expect(a).toMatchObject({ type: directoryActions.pageLoaded.type, page: 3, response });
    expect(typeof a.at).toBe('number');
  });

  it('an unreadable answer or an HTTP error → Page Failed with a message', async () => {
    const api = { users: vi.fn(() => of({ detail: 'x' })) };
    expect(await collect(fx.loadPage$(of(directoryActions.pageRequested({ page: 1 })) as any, api as any))).toEqual([
      directoryActions.pageFailed({ page: 1, error: { status: null, message: 'The server sent an unreadable answer.' } }),
    ]);
    const failing = { users: vi.fn(() => throwError(() => httpError(404, 'Not Found'))) };
    expect(await collect(fx.loadPage$(of(directoryActions.pageRequested({ page: 9 })) as any, failing as any))).toEqual([
      directoryActions.pageFailed({ page: 9, error: { status: 404, message: 'There is no such page (any more).' } }),
    ]);
  });

  it('the latest request wins: an earlier page still on its way is dropped', () => {
    const answers: Record<number, Subject<any>> = { 1: new Subject(), 2: new Subject() };
    const api = { users: vi.fn((p: number) => answers[p]) };
    const actions$ = new Subject<any>();
    const out: any[] = [];
    const sub = fx.loadPage$(actions$ as any, api as any).subscribe((a) => out.push(a));
    actions$.next(directoryActions.pageRequested({ page: 1 }));
    actions$.next(directoryActions.pageRequested({ page: 2 }));
    answers[1].next({ count: 0, next: null, previous: null, results: [] });
    answers[2].next({ count: 0, next: null, previous: null, results: [] });
    sub.unsubscribe();
    expect(out.map((a) => a.page)).toEqual([2]);
  });

  it('toDirectoryError says what happened', () => {
    expect(toDirectoryError(httpError(0))).toEqual({ status: 0, message: "Can't reach the server. Check your connection and try again." });
    expect(toDirectoryError(httpError(429)).message).toMatch(/^Too many requests/);
    expect(toDirectoryError(httpError(503))).toEqual({ status: 503, message: 'The server had a problem (503). Please try again.' });
    expect(toDirectoryError(httpError(400)).message).toBe('The request failed (400). Please try again.');
    expect(toDirectoryError(new Error('boom'))).toEqual({ status: null, message: 'Something went wrong. Please try again.' });
  });
});
