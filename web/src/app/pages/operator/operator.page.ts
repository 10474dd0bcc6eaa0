import { JsonPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { Store } from '@ngrx/store';
import { hhmm } from '../../shared/people';
import { selectStats, selectStatsAt } from '../../state/connection/connection.selectors';

/** Staff only (route guard). The latest `server-action:stats`, raw; the real design comes later. */
@Component({
  selector: 'app-operator-page',
  imports: [JsonPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card operator" aria-labelledby="operator-title">
      <h1 id="operator-title" class="online__title">Operator view</h1>
      @if (stats() !== null && stats() !== undefined) {
        <p class="online__sub">Latest figures from the server, received at {{ at() }}.</p>
        <pre class="operator__json" data-testid="operator-stats" tabindex="0" aria-label="Latest stats (JSON)">{{ stats() | json }}</pre>
      } @else {
        <p class="online__sub" data-testid="operator-empty">No figures yet. They arrive every second once the socket is bound.</p>
      }
    </section>
  `,
})
export class OperatorPage {
  private readonly store = inject(Store);
  protected readonly stats = this.store.selectSignal(selectStats);
  private readonly statsAt = this.store.selectSignal(selectStatsAt);
  protected readonly at = computed(() => {
    const t = this.statsAt();
    if (t === null) return '';
    const s = String(new Date(t).getSeconds()).padStart(2, '0');
    return `${hhmm(t)}:${s}`;
  });
}
