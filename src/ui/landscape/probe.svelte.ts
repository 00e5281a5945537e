// The red team's probe on the landscape: a point a person drags over the reward-model map, with what the worker says of
// it (proxy, each member's score, gold, gap). Drags arrive faster than answers: one call is in flight at a time and
// only the newest point waits behind it, so the readout follows the pointer without a queue of stale calls.
import type { ProbeResult } from '../../worker/lab.worker';
import type { AttackApi } from '../redteam/attack.svelte';

/** What the probe asks of the worker (lab.worker.ts: probe, addProbe), and the attack beside it. */
export interface ProbeApi extends AttackApi {
  probe(x: number, y: number): Promise<ProbeResult | null>;
  add(x: number, y: number): Promise<'asked' | 'queued' | 'finished' | null>;
}

export class Probe {
  point = $state.raw<{ x: number; y: number } | null>(null);
  result = $state.raw<ProbeResult | null>(null);
  /** What happened to the last point added as a comparison. */
  message = $state<string | null>(null);
  private inFlight = false;
  private next: { x: number; y: number } | null = null;

  constructor(private readonly api: () => ProbeApi) {}

  at(x: number, y: number): void {
    this.point = { x, y };
    this.next = { x, y };
    void this.pump();
  }

  /** Asks again at the same point (the reward model changed). */
  refresh(): void {
    if (this.point) this.at(this.point.x, this.point.y);
  }

  private async pump(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      while (this.next) {
        const p = this.next;
        this.next = null;
        this.result = await this.api().probe(p.x, p.y);
      }
    } finally {
      this.inFlight = false;
    }
  }

  /** The probed point as a comparison against a policy sample. */
  async add(): Promise<void> {
    const p = this.point;
    if (!p) {
      this.message = 'Drag on the reward-model map first to pick a point.';
      return;
    }
    const how = await this.api().add(p.x, p.y);
    const at = `(${p.x.toFixed(2)}, ${p.y.toFixed(2)})`;
    this.message =
      how === 'asked'
        ? `${at} against a policy sample is the pair to label now.`
        : how === 'queued'
          ? `${at} against a policy sample is queued: the next label stage asks it first.`
          : how === 'finished'
            ? 'The run has finished: no label stage is left to ask it.'
            : 'This run has no points to compare.';
  }
}
