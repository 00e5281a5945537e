// The pixels task's lab: the pixels base GPT as policy, reference and reward-model backbone (tasks/gpt_lab.ts
// holds all it shares with the text task: every optimizer runs on it unchanged). Here, what is its own: a prompt is
// one class token and a completion is every pixel of a picture, row by row; the gold rewards and the labelers' bias
// read the pixels; each batch measures its brightness and its share of each colour.
import type { Rng } from '../../rng';
import type { Experiment, ExperimentOf } from '../../experiment/parse';
import type { GptConfig, Samples } from '../../models/gpt';
import { GptLab, freshGptWeights, oncePerHost } from '../gpt_lab';
import { hackingSamples } from '../../analysis/overopt';
import type { MetricRow } from '../../checkpoint/record';
import type { Assets, PixelVisuals, Proposal, TaskState } from '../task_lab';
import { mean } from '../../models/reward_norm';
import type { BaseModel } from '../../models/gpt_base';
import { PIXEL_BASE_BIN, PIXEL_BASE_JSON, decodePixelBase } from './base_model';
import { brightness, colourShare, goldReward, labelerBias } from './gold';
import { PIXELS, PALETTE, classToken, parsePicture, pictureText } from './picture';

type PixelsExperiment = ExperimentOf<'pixels'>;

/** The base model, read and checked once per host. */
export const loadPixelBase = oncePerHost(async (assets): Promise<BaseModel> => {
  const [json, bin] = await Promise.all([assets(PIXEL_BASE_JSON), assets(PIXEL_BASE_BIN)]);
  return decodePixelBase(new TextDecoder().decode(json), bin);
});

/** Row b of a sample batch as a picture's digits. */
function pictureOf(s: Samples, b: number): string {
  return pictureText(s.ids.subarray(b * s.N + s.start[b] + 1, b * s.N + s.start[b] + 1 + s.length[b]));
}

export class PixelLab extends GptLab {
  declare readonly experiment: PixelsExperiment;

  private constructor(experiment: Experiment, cfg: GptConfig, state: TaskState) {
    const task = (experiment as PixelsExperiment).task;
    super(experiment, cfg, {
      prompts: task.prompts,
      prefix: (p) => [classToken(p)],
      tokens: (picture) => Array.from(parsePicture(picture)),
      completionOf: pictureOf,
      // No token ends a picture early: every one has all its pixels (−1 is never drawn).
      eos: -1,
      maxNew: PIXELS,
      temperature: task.temperature,
      topK: task.top_k,
    }, state);
  }

  static async create(experiment: Experiment, rng: Rng, assets: Assets): Promise<PixelLab> {
    const base = await loadPixelBase(assets);
    return new PixelLab(experiment, base.config, { weights: freshGptWeights(base.config, base.weights, rng), specs: {} });
  }

  static async restore(experiment: Experiment, state: TaskState, assets: Assets): Promise<PixelLab> {
    await loadPixelBase(assets);
    return new PixelLab(experiment, state.specs.policy?.gpt as GptConfig, state);
  }

  gold(prompt: string, picture: string): number {
    return goldReward(this.experiment.task.gold, prompt, parsePicture(picture));
  }

  labelerReward(_labeler: unknown, p: Proposal, side: 'a' | 'b'): number {
    const picture = p[side] as string;
    return this.gold(p.prompt ?? '', picture) + labelerBias(this.experiment.task.bias, parsePicture(picture));
  }

  /** Mean luminance, and the share of the colour the gold reward or the bias names (what a colour hack shows in). */
  protected measures(pictures: string[]): MetricRow {
    const px = pictures.map(parsePicture);
    const { gold, bias } = this.experiment.task;
    const colour = gold.kind === 'colour' ? gold.colour : bias?.kind === 'colour' ? bias.colour : null;
    return {
      'pixels/brightness': mean(px.map(brightness)),
      ...(colour ? { [`pixels/share_${colour}`]: mean(px.map((x) => colourShare(x, colour))) } : {}),
    };
  }

  async visuals(): Promise<PixelVisuals> {
    const k = this.experiment.overoptimization?.hacking_samples ?? 0;
    const hacking = hackingSamples(this.recent, k).map((r) => ({ label: `${r.prompt}▸${r.completion}`, proxy: r.proxy, gold: r.gold }));
    return { kind: 'pixels', palette: PALETTE.map((c) => c.hex), samples: this.shown.map((r) => ({ ...r })), ...(k > 0 ? { hacking } : {}) };
  }
}
