// Best-of-n's settings: the `optimizer` block of an experiment that runs it (TRL's config beside its trainer, best_of_n.ts).
// No tfjs here: the tab's page validates experiments without loading the models.
import * as v from 'valibot';
import { int } from '../experiment/fields';

export const BestOfNConfig = v.strictObject({
  /** Best-of-n: draw n samples of the reference policy, keep the reward model's favourite. One metrics row per n. */
  algo: v.literal('best_of_n'),
  /** The n to try, in order; KL(best-of-n ‖ base) = log n − (n−1)/n. */
  n: v.pipe(v.array(int(1, 4096)), v.minLength(1), v.maxLength(16)),
  /** Best-of-n picks drawn per n (for text, prompts are cycled). */
  samples: int(1, 4096),
});
export type BestOfNConfig = v.InferOutput<typeof BestOfNConfig>;
