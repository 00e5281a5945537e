// The red team's probe on the landscape: a point a person drags over the reward-model map, with what the worker says of
// it (proxy, each member's score, gold, gap). Drags arrive faster than answers: one call is in flight at a time and
// only the newest point waits behind it, so the readout follows the pointer without a queue of stale calls.
import type { AttackSummary, ProbeResult } from '../../worker/lab.worker';

/** What the probe asks of the worker (lab.worker.ts: probe, addProbe). */
export interface ProbeApi {
  probe(x: number, y: number): Promise<ProbeResult | null>;
  add(x: number, y: number): Promise<'asked' | 'queued' | 'finished' | null>;
  attack(budget: number, seed: number): Promise<AttackSummary | null>;
  labelPoints(points: [number, number][]): Promise<'asked' | 'queued' | 'finished' | null>;
}

/** Finds per attack in the tab. */
export const TAB_BUDGET = 64;

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

  /** The latest attack, and every attack of this view with the run's labels when it ran (the loop's curve). */
  attack = $state.raw<AttackSummary | null>(null);
  history = $state.raw<AttackSummary[]>([]);
  attacking = $state(false);

  async runAttack(): Promise<void> {
    if (this.attacking) return;
    this.attacking = true;
    try {
      const a = await this.api().attack(TAB_BUDGET, this.history.length + 1);
      if (a) {
        this.attack = a;
        this.history = [...this.history, a];
      }
    } finally {
      this.attacking = false;
    }
  }

  /** Close the loop: the latest attack's finds as comparisons against policy samples. */
  async labelFinds(): Promise<void> {
    const a = this.attack;
    if (!a) return;
    const how = await this.api().labelPoints(a.exploits.map((e) => e.point));
    const n = a.exploits.length;
    this.message =
      how === 'asked'
        ? `${n} finds against policy samples: the first is the pair to label now, the rest follow.`
        : how === 'queued'
          ? `${n} finds against policy samples are queued: the next label stage asks them first; the reward model refits on them in its round. Attack again after it.`
          : how === 'finished'
            ? 'The run has finished: no label stage is left to ask them.'
            : 'This run has no points to compare.';
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
