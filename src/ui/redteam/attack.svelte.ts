// The red team's attack in the tab, for any task whose attack has a loop (redteam/registry.ts: the landscape's points,
// control's clips, text's edited completions): run an attack in the worker, label its finds against policy samples, attack again after the
// run's next reward stage; each attack is a point of the loop's curve, success rate against the run's labels.
import type { AttackSummary } from '../../worker/lab.worker';
import type { Side } from '../../core/redteam/attack';

/** What the attack asks of the worker (lab.worker.ts: attack, labelFinds). */
export interface AttackApi {
  attack(budget: number, seed: number): Promise<AttackSummary | null>;
  labelFinds(finds: Side[]): Promise<'asked' | 'queued' | 'finished' | null>;
}

/** Finds per attack in the tab. */
export const TAB_BUDGET = 64;

export class RedTeam {
  /** The latest attack, and every attack of this view with the run's labels when it ran (the loop's curve). */
  attack = $state.raw<AttackSummary | null>(null);
  history = $state.raw<AttackSummary[]>([]);
  attacking = $state(false);
  /** What happened to the last finds sent to be labeled, or why an attack failed. */
  message = $state<string | null>(null);

  constructor(
    private readonly api: () => AttackApi,
    /** How the finds are named in messages ("finds against policy samples", "clips against the policy's clips"). */
    private readonly pairs = 'finds against policy samples',
    /** Finds per attack (text searches a GPT: fewer, so an attack takes seconds, not minutes). */
    readonly budget = TAB_BUDGET,
  ) {}

  async runAttack(): Promise<void> {
    if (this.attacking) return;
    this.attacking = true;
    try {
      const a = await this.api().attack(this.budget, this.history.length + 1);
      if (a) {
        this.attack = a;
        this.history = [...this.history, a];
      }
    } catch (e) {
      this.message = `The attack failed: ${(e as Error).message}`;
    } finally {
      this.attacking = false;
    }
  }

  /** Close the loop: the latest attack's finds as comparisons against policy samples. */
  async labelFinds(): Promise<void> {
    const a = this.attack;
    if (!a) return;
    const how = await this.api().labelFinds(a.exploits.map((e) => ({ ...(e.prompt !== undefined ? { prompt: e.prompt } : {}), sample: e.sample })));
    const n = a.exploits.length;
    this.message =
      how === 'asked'
        ? `${n} ${this.pairs}: the first is the pair to label now, the rest follow.`
        : how === 'queued'
          ? `${n} ${this.pairs} are queued: the next label stage asks them first; the reward model refits on them in its round. Attack again after it.`
          : how === 'finished'
            ? 'The run has finished: no label stage is left to ask them.'
            : 'This run has nothing to compare them with.';
  }

  /** The loop's curve as chart rows: each attack's success rate and finds' mean gold against the run's labels then. */
  get curve(): Record<string, number>[] {
    return this.history.map((h) => ({ 'redteam/labels': h.labels, 'redteam/success_rate': h.successRate, 'redteam/finds_gold': h.meanGold }));
  }
}
