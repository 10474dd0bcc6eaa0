import { JsonPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { Store } from '@ngrx/store';
import {
  UNKNOWN,
  bytesParts,
  clockTime,
  formatBytesRate,
  formatCount,
  formatDuration,
  formatRate,
} from '../../shared/format';
import { LiveChart } from '../../shared/live-chart';
import { selectConnectionStatus, selectStats } from '../../state/connection/connection.selectors';
import {
  CHART_WINDOW_MS,
  selectActorRows,
  selectChartSeries,
  selectOperatorOverview,
} from '../../state/operator/operator.selectors';

/** Figures older than this (no push for a while although the socket is up) are shown as stalled. */
export const STALE_MS = 3500;

/** A mailbox backlog from which the actors table calls attention to a kind. */
export const MAILBOX_WARN = 100;
export const MAILBOX_ALERT = 1000;

type Tone = 'live' | 'waiting' | 'stalled' | 'paused' | 'offline';

/**
 * The operator page (staff only, see staffGuard): this node's live figures from `server-action:stats`,
 * the cluster total and one card per node when there are several, a two-minute chart, and the actors.
 * Everything comes from the store (the `operator` feature keeps the history); only the clock that ages
 * the figures lives here.
 */
@Component({
  selector: 'app-operator-page',
  imports: [JsonPipe, LiveChart],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './operator.page.html',
})
export class OperatorPage {
  private readonly store = inject(Store);
  protected readonly overview = this.store.selectSignal(selectOperatorOverview);
  protected readonly series = this.store.selectSignal(selectChartSeries);
  protected readonly actors = this.store.selectSignal(selectActorRows);
  protected readonly connection = this.store.selectSignal(selectConnectionStatus);
  protected readonly raw = this.store.selectSignal(selectStats);

  protected readonly count = formatCount;
  protected readonly rate = formatRate;
  protected readonly bytesRate = formatBytesRate;
  protected readonly bytes = bytesParts;
  protected readonly unknown = UNKNOWN;
  protected readonly chartWindowMs = CHART_WINDOW_MS;
  protected readonly mailboxWarn = MAILBOX_WARN;
  protected readonly mailboxAlert = MAILBOX_ALERT;

  /** Ticks every second, to age the figures. */
  private readonly now = signal(Date.now());

  protected readonly ageMs = computed(() => {
    const o = this.overview();
    return o ? Math.max(0, this.now() - o.receivedAt) : null;
  });

  protected readonly tone = computed<Tone>(() => {
    const c = this.connection();
    if (c === 'reconnecting') return 'paused';
    if (c === 'offline') return 'offline';
    const age = this.ageMs();
    if (age === null) return 'waiting';
    return age > STALE_MS ? 'stalled' : 'live';
  });

  protected readonly statusText = computed(() => {
    switch (this.tone()) {
      case 'live':
        return 'Live';
      case 'waiting':
        return 'Waiting for the first figures…';
      case 'stalled':
        return 'Stalled: no new figures';
      case 'paused':
        return 'Paused, reconnecting…';
      case 'offline':
        return 'Offline: figures may be out of date';
    }
  });

  protected readonly updatedText = computed(() => {
    const o = this.overview();
    if (!o) return null;
    const age = this.ageMs() ?? 0;
    return age > STALE_MS ? `last figures ${formatDuration(age)} ago` : `updated ${clockTime(o.receivedAt)}`;
  });

  /** Websocket's share of the sessions (0–100), for the split bar. */
  protected readonly websocketShare = computed(() => {
    const o = this.overview();
    const s = o?.self.figures.sessions;
    if (!s) return null;
    const ws = s['websocket'] ?? 0;
    const total = Object.values(s).reduce((a, b) => a + b, 0);
    return total ? (100 * ws) / total : null;
  });

  /** The scale of the mailbox bars: the largest recent peak, at least 10. */
  protected readonly mailboxScale = computed(() => Math.max(10, ...this.actors().map((a) => a.peakRecent)));

  constructor() {
    const timer = setInterval(() => this.now.set(Date.now()), 1000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected sessionTotal(s: Readonly<Record<string, number>>): number {
    return Object.values(s).reduce((a, b) => a + b, 0);
  }

  protected lagText(ms: number): string {
    return `${formatDuration(ms)} behind`;
  }
}
