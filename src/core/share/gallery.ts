// Ready demo links, built from the presets: each with one sentence on what to watch (measured with
// `rlhf-lab run <preset> --set …` on the cpu backend, seed 1; see README).
import { preset } from '../experiment/presets';
import { applyOverrides } from '../experiment/parse';
import { LOCKABLE } from './params';
import { encodeLink, type ShareOptions } from './link';
import type { Experiment } from '../experiment/parse';

export interface Demo {
  id: string;
  title: string;
  /** What to watch, one sentence. */
  watch: string;
  experiment: Experiment;
  options: ShareOptions;
  /** The fragment, "#share=v1.…". */
  fragment: string;
}

function demo(id: string, title: string, watch: string, base: string, sets: string[] = [], options: ShareOptions = {}): Demo {
  const experiment = applyOverrides(preset(base)!, [`name="${id}"`, ...sets]);
  return { id, title, watch, experiment, options, fragment: encodeLink(experiment, options) };
}

export function gallery(): Demo[] {
  return [
    demo('hello', 'Hello, RLHF', 'Gold (yellow) and proxy (blue) reward climb together while KL grows: the loop working as intended, in seconds.', 'landscape-hello'),
    demo('you-label', 'You are the labeler', 'Answer twenty comparisons and watch the reward-model map take the shape of the hill from your answers alone.', 'landscape-human'),
    demo(
      'reward-hacking',
      'Reward hacking on a ridge',
      'In the middle rounds the proxy shoots up while gold falls to zero, as the policy walks off the ridge where the reward model extrapolates; fresh labels on its own samples pull it back.',
      'landscape-ridge',
    ),
    demo('decoy', 'The decoy hill', 'The policy settles on the low hill near the start (gold about 0.6) and never finds the higher one farther off.', 'landscape-decoy', ['optimizer.kl_coef=0']),
    demo(
      'kl-too-high',
      'KL leash too tight',
      'With a KL coefficient of 2 the policy barely leaves its start: KL stays near 0.1 and gold hardly moves, although the reward model is over 95% accurate.',
      'landscape-hello',
      ['optimizer.kl_coef=2'],
    ),
    demo(
      'kl-too-low',
      'No KL leash',
      'Without a KL penalty the policy runs off the ridge where the reward model extrapolates: by the last round KL passes 80 nats and the proxy climbs past 25 while gold ends at zero.',
      'landscape-ridge',
      ['optimizer.kl_coef=0'],
    ),
    demo('noisy-labelers', 'Noisy labelers', 'A careless panel answers at random a third of the time: held-out accuracy and gold fall behind the clean hello run.', 'landscape-noisy'),
    demo(
      'text-cheerful',
      'Text: a tiny GPT learns cheer',
      'Completions turn cheerful (gold: AFINN-165 word scores) while the adaptive KL controller holds KL near its target.',
      'text-sentiment-ppo',
    ),
    demo(
      'text-biased-labeler',
      'Text: a labeler who likes long answers',
      'The reward model learns the labeler\'s taste for length along with the sentiment, and completions grow where the unbiased run\'s shrink.',
      'text-sentiment-lengthy',
    ),
    demo(
      'text-dpo',
      'Text: DPO, no reward model',
      'The implicit-reward margin climbs from 0 past 2 and accuracy past 0.9 while log π(chosen) falls from about −8 to −19: DPO widens the gap mostly by pushing the rejected completion down.',
      'text-sentiment-dpo',
    ),
    demo(
      'text-best-of-n',
      'Text: best-of-n, no gradient',
      'Gold rises from 0.1 at n = 1 to about 2.2 at n = 64 for log 64 − 63/64 ≈ 3.2 nats of KL, without a single gradient step on the policy.',
      'text-bon',
    ),
    demo(
      'overoptimization',
      'Over-optimization, measured',
      'Gold peaks at 0.71 (√KL 4.7) and falls to 0.12 while the proxy climbs on past 12; the √KL chart fits Gao et al.\'s curves and the hacking table lists the points the reward model overrates most.',
      'overopt-landscape',
    ),
    demo(
      'overoptimization-text',
      'Text: reward hacking under a weak leash',
      'Gold sentiment peaks near 3.2 at √KL 4.6, then collapses to about 0.2 as completions run to the length limit, while the reward model still scores them as highly as at the peak.',
      'overopt-text',
    ),
    demo(
      'iterated-rollback',
      'Iterated RLHF with rollback',
      'Round by round the reward model comes to agree with the labeler on the policy\'s own samples (0.05, 0.38, 0.82, 0.96), each round starting the policy over from its initial weights.',
      'iterated-rollback',
    ),
    demo(
      'kl-only',
      'Classroom: only the KL knob',
      'Every parameter but the KL coefficient is locked: each student picks one value and the class compares final KL and gold.',
      'landscape-hello',
      [],
      { lock: ['experiment', ...LOCKABLE.map((k) => k.path).filter((p) => p !== 'optimizer.kl_coef')] },
    ),
  ];
}
