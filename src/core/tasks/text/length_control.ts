// The length-controlled reward model (`reward_model.length_control`), after LMArena's style control: comparisons are
// fit to r_θ(x, y) + w·chars(y), the completion's length a covariate with its own coefficient w fit jointly with θ,
// and the policy is scored by r_θ alone (the task's scoring never reads w). w is a weight of the reward model
// (`reward.length_w`, saved and exported with it; the Hugging Face export leaves it out with the score), trained by its
// own Adam: at the head's learning rate it would take hundreds of steps to reach a per-character effect.
import { tf, type Tensor, type Variable } from '../../tf';
import { Adam } from '../../optim';
import { withCovariate } from '../../algos/reward';
import { completionChars } from './gold';
import type { Params } from '../../models/params';
import type { MetricRow } from '../../checkpoint/record';

const LENGTH_W = 'reward.length_w';
/** w's Adam learning rate where `reward_model.length_lr` is absent. */
const LENGTH_LR = 0.01;

export class LengthControl {
  private constructor(
    private readonly w: Variable,
    /** w's own Adam (checkpointed as `reward_model_length`). */
    readonly opt: Adam,
  ) {}

  /** w at 0, for a new reward model: no length effect until the labels show one. */
  static initialWeights() {
    return { [LENGTH_W]: { shape: [1], data: new Float32Array(1) } };
  }

  /** The reward model's weights without w (for the head's Adam), and its length control where it has w. */
  static split(rm: Params, lr = LENGTH_LR): { head: Params; control: LengthControl | null } {
    const { [LENGTH_W]: w, ...head } = rm;
    return { head, control: w ? new LengthControl(w, new Adam({ [LENGTH_W]: w }, lr)) : null };
  }

  /** The score the comparisons are fit to: r_θ + w·chars, for raw scores r_θ of these completions. */
  fitScore(rawScores: Tensor, completions: readonly string[]): Tensor {
    return tf.tidy(() => withCovariate(rawScores, tf.tensor1d(completions.map(completionChars)), this.w));
  }

  /** The row entry of the coefficient found, per character (read without blocking: once per rollout). */
  async coef(): Promise<MetricRow> {
    return { 'rm/length_coef': (await this.w.data())[0] };
  }

  dispose(): void {
    this.opt.dispose();
  }
}
