// scripts/rollback_tax.ts: the robustness tax of rollback against one-shot RLHF, on rounds tables worked by hand.
import { describe, expect, it } from 'vitest';
import { rollbackTax, type RoundRow } from '../../scripts/rollback_tax';

const row = (round: number, labels: number, gold: number, agreement: number | null): RoundRow =>
  ({ round, labels, gold, kl: 1, rm_policy_agreement: agreement });

// Four rounds of 100 labels and 60 iterations, against one round of 400 labels and 60 iterations.
const rollback = {
  iterationsPerRound: 60,
  rounds: [row(1, 100, 0.0, 0.05), row(2, 200, 0.28, 0.38), row(3, 300, 0.41, 0.82), row(4, 400, 0.41, 0.96)],
};
const oneShot = { iterationsPerRound: 60, rounds: [row(1, 400, 0.43, 0.77)] };

describe('rollbackTax', () => {
  it('compares at matched labels and finds the first round that reaches the one-shot', () => {
    const tax = rollbackTax(rollback, oneShot);
    expect(tax.matchedLabels).toBe(400);
    expect(tax.goldGap).toBeCloseTo(0.41 - 0.43, 12);
    expect(tax.agreementGap).toBeCloseTo(0.96 - 0.77, 12);
    // Round 3 is the first with agreement ≥ 0.77: 300 labels (100 fewer), 3 × 60 = 180 iterations (120 more).
    expect(tax.toAgreement).toEqual({ round: 3, labels: 300, iterations: 180, extraLabels: -100, extraIterations: 120 });
    // Gold never reaches 0.43.
    expect(tax.toGold).toBeNull();
  });

  it('reaching gold at the last round costs the iterations of every round', () => {
    const tax = rollbackTax(rollback, { iterationsPerRound: 60, rounds: [row(1, 400, 0.4, 0.99)] });
    expect(tax.toGold).toEqual({ round: 3, labels: 300, iterations: 180, extraLabels: -100, extraIterations: 120 });
    expect(tax.toAgreement).toBeNull();
  });

  it('refuses runs whose label totals differ, naming both', () => {
    expect(() => rollbackTax(rollback, { iterationsPerRound: 60, rounds: [row(1, 500, 0.4, 0.7)] })).toThrow(/500 labels.*100, 200, 300, 400/);
  });

  it('refuses rounds without the agreement (a text run), saying which runs carry it', () => {
    const text = { iterationsPerRound: 60, rounds: [row(1, 400, 0.4, null)] };
    expect(() => rollbackTax(rollback, text)).toThrow(/rm_policy_agreement is missing.*landscape/);
  });
});
