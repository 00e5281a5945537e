// What each number of the lab means, for a student: what it is, how it is computed, what a healthy run shows.
// Keyed by metric key (the rows' keys, unchanged) or, for what is not a metric row key, by a name under the same
// slash convention (`landscape/optimum`, `overopt/rl_fit`). The tab's figure boxes and chart legends read their
// explanations here and nowhere else; tests/unit/glossary.test.ts checks that every key the UI shows has one.
// Plain strings, no DOM: the CLI or a Reward Report may quote them too.
import { COLOUR_NAMES } from '../tasks/pixels/picture';

export interface Explanation {
  /** What the number is, in a sentence. */
  what: string;
  /** How it is computed. */
  how: string;
  /** What a healthy run shows. */
  healthy: string;
}

export const GLOSSARY: Record<string, Explanation> = {
  'gold/mean': {
    what: 'The gold reward: the hidden "true" preference the simulated labelers follow, averaged over the policy\'s samples.',
    how: 'The task\'s programmatic score (the landscape\'s height, a sentiment or syllable count, the true return) of each sample, averaged. Training never sees it.',
    healthy: 'It rises from its start toward the optimum. If it peaks and falls while the proxy keeps rising, the policy is gaming the reward model.',
  },
  'landscape/optimum': {
    what: 'The highest gold reward anywhere on the plane: the best a policy could do.',
    how: 'The maximum of the hidden landscape, found once on a fine grid.',
    healthy: 'Gold approaches it; a policy that stays spread out stays somewhat below it.',
  },
  'proxy/mean': {
    what: 'The proxy reward: what the learned reward model says the policy\'s samples are worth.',
    how: 'The reward model\'s score of each sample, averaged. After each fit the model is re-normalized to mean 0, std 1 over the policy\'s samples, so the proxy starts every round near 0.',
    healthy: 'It rises during each policy stage, and gold rises with it. Its scale is not gold\'s: compare directions, not values.',
  },
  'objective/kl': {
    what: 'KL(π ‖ π_start): how far the policy has moved from where it started, in nats per sample.',
    how: 'The k1 estimate: log π(x) − log π_start(x), averaged over the policy\'s samples (noisy, can dip below 0).',
    healthy: 'It grows slowly and levels off where the KL penalty balances the reward. Fast growth means the policy is running away from what the reward model saw.',
  },
  'objective/kl_k3': {
    what: 'The same KL to the starting policy, from the k3 estimator.',
    how: '(e^(−logr) − 1) + logr with logr = log π − log π_start: unbiased and never below 0, but a single rare sample can spike it.',
    healthy: 'It follows k1. A one-step spike is one unlikely sample, not a jump of the policy.',
  },
  'objective/kl_coef': {
    what: 'β, the KL coefficient: how hard the policy is pulled back toward where it started.',
    how: 'The reward is r − β·KL. With a KL target, β adapts: it grows while KL is above the target and shrinks while below.',
    healthy: 'Fixed, or (with a target) settling once KL hovers at the target.',
  },
  'objective/entropy': {
    what: 'The policy\'s entropy per character, in nats: how uncertain it is about the next character.',
    how: 'The mean over generated characters of −Σ p·log p of the next-character distribution.',
    healthy: 'It falls slowly as the policy commits to what pays. A collapse toward 0 means it repeats itself; a rise means it babbles.',
  },
  'rm/length_coef': {
    what: 'w, the length-controlled reward model\'s coefficient: how much of the labels\' preference it puts down to length alone, in raw reward per character.',
    how: 'Comparisons are fit to r(x, y) + w·characters(y), w fit beside the model (LMArena\'s style control); the policy is scored by r alone, so w·length never reaches it.',
    healthy: 'Near 0 where the labelers do not care about length; positive where they favour long completions (a biased labeler), negative where they favour short ones.',
  },
  'rm/accuracy': {
    what: 'How often the reward model agrees with the labels it was not trained on (held-out pairs).',
    how: 'The share of held-out pairs where the chosen sample scores higher than the rejected one. From n pairs, each pair moves it by 1/n.',
    healthy: 'Well above 0.5 (chance), measured on enough pairs: 1.00 or 0.00 from two pairs says little.',
  },
  'rm/heldout': {
    what: 'How many labeled pairs were held out to measure the reward model\'s accuracy.',
    how: 'Every k-th decisive label (k = 1 / reward_model.holdout) is kept out of training.',
    healthy: 'Tens of pairs or more; with a few, the accuracy is mostly luck.',
  },
  'clip/true_reward': {
    what: 'The environment\'s true reward at each step of the clip shown: what the hidden gold counts.',
    how: 'Cart-pole: 1 for every step the pole stays up (the episode ends when it falls); reacher: minus the distance from the arm\'s tip to the target. The clip is the latest policy\'s first evaluation episode.',
    healthy: 'High and steady through the clip. Where it drops while the reward model\'s line stays up, the model rewards something the environment does not.',
  },
  'clip/proxy_reward': {
    what: 'The reward model\'s score of each step of the clip: the reward the policy is trained on, step by step.',
    how: 'The learned per-step reward r(s, a) of each observation and action, normalized as the policy sees it (an ensemble\'s combined score), under the reward model\'s current fit.',
    healthy: 'It rises and falls with the true reward. Steps it scores high where the true reward is low are where the policy can be taught the wrong thing.',
  },
  'redteam/success_rate': {
    what: 'The attack success rate: the share of the red team\'s finds the reward model overrates badly.',
    how: 'A find succeeds when its proxy is in the top decile of the policy\'s own samples while its gold is below their median (redteam/attack.ts); one point per attack, against the run\'s labels when it ran.',
    healthy: 'It falls as the finds are labeled and the reward model refit: the holes the attack found are closed. A rate that stays up means the model keeps being fooled the same way.',
  },
  'redteam/finds_gold': {
    what: 'The mean gold reward of the attack\'s finds.',
    how: 'The task\'s hidden gold of each find (a point\'s height, a replayed clip\'s true return), averaged.',
    healthy: 'Low while the finds are hacks; rising toward the policy\'s own gold once the reward model stops overrating bad samples.',
  },
  'rm/policy_agreement': {
    what: 'How often the reward model agrees with gold on pairs of the current policy\'s own samples.',
    how: 'Pairs of fresh policy samples; the share where the reward model and the gold reward prefer the same one.',
    healthy: 'Well above 0.5. Near the optimum the samples are all about as good, so it swings around 0.5: the pairs are too close to call.',
  },
  'labels/count': {
    what: 'Comparisons answered: one sample preferred, or a tie. Skips are not counted.',
    how: 'The run\'s labels whose answer is not "skip", across all rounds.',
    healthy: 'It grows by the labels per round each round.',
  },
  'labels/skipped': {
    what: 'Comparisons skipped: the labeler could not decide. They teach the reward model nothing.',
    how: 'The run\'s labels whose answer is "skip".',
    healthy: 'A few.',
  },
  'policy/approxkl': {
    what: 'How far one PPO update moved the policy from the policy that sampled the batch.',
    how: '½·mean((log π − log π_old)²) over the batch\'s tokens.',
    healthy: 'Small (about 0.01 or less). Large values mean the learning rate is too high for the clip to hold.',
  },
  'policy/clipfrac': {
    what: 'The share of tokens whose probability ratio the clip cut off.',
    how: 'The fraction with |π/π_old − 1| > ε.',
    healthy: 'Between about 0.01 and 0.3. Near 0 the updates are tiny; high values mean each update tries to move too far.',
  },
  'value/explained_variance': {
    what: 'How well the value head predicts the returns.',
    how: '1 − Var(returns − values) / Var(returns).',
    healthy: 'It climbs toward 1. Below 0 the value head predicts worse than a constant.',
  },
  'loss/value': {
    what: 'The value head\'s loss: its squared error on the returns.',
    how: 'mean((V − returns)²), clipped around the old values as PPO clips the ratio.',
    healthy: 'It falls, then jumps when the reward model is refit at a new round.',
  },
  'loss/policy': {
    what: 'The policy-gradient loss of one update.',
    how: 'Minus the (clipped) advantage-weighted ratio, averaged as the algorithm says. Advantages are centered, so its value hovers near 0.',
    healthy: 'Small and noisy around 0: unlike a supervised loss, it does not fall steadily. Watch gold instead.',
  },
  'rewards/margins': {
    what: 'DPO\'s implicit reward margin: how much more the policy now prefers the chosen answer than the rejected one, relative to the start.',
    how: 'β·[(log π − log π_ref)(chosen) − (log π − log π_ref)(rejected)], averaged over the pairs.',
    healthy: 'It grows. It can grow while both log-probabilities fall.',
  },
  'logps/chosen': {
    what: 'The log-probability the policy gives the chosen samples.',
    how: 'log π(chosen), averaged over the pairs.',
    healthy: 'It may fall: DPO only asks that it fall less than the rejected one.',
  },
  'logps/rejected': {
    what: 'The log-probability the policy gives the rejected samples.',
    how: 'log π(rejected), averaged over the pairs.',
    healthy: 'It falls faster than the chosen one.',
  },
  'rewards/chosen': {
    what: 'DPO\'s implicit reward of the chosen samples.',
    how: 'β·(log π − log π_ref) of the chosen sample, averaged.',
    healthy: 'It rises above the rejected samples\'.',
  },
  'rewards/rejected': {
    what: 'DPO\'s implicit reward of the rejected samples.',
    how: 'β·(log π − log π_ref) of the rejected sample, averaged.',
    healthy: 'It falls below the chosen samples\'.',
  },
  'rewards/accuracies': {
    what: 'The share of training pairs whose chosen sample has the larger implicit reward.',
    how: 'The fraction with rewards/chosen > rewards/rejected, on the training pairs.',
    healthy: 'It rises toward 1; on training pairs it says nothing about new samples.',
  },
  cispo_clip_ratio: {
    what: 'The share of token weights CISPO capped at ε_max.',
    how: 'The fraction of tokens with positive advantage whose ratio π/π_old exceeds ε_max.',
    healthy: 'Small: most weights pass unclipped.',
  },
  nll_loss: {
    what: 'The negative log-likelihood of the chosen completions under the policy: the supervised term ORPO and RPO add to the preference loss.',
    how: 'The mean per-token −log π(y_w | x) of the chosen completions, averaged over the batch (TRL\'s nll_loss).',
    healthy: 'It falls a little and stays near the base model\'s: the policy keeps writing its preferred answers as fluently as before.',
  },
  log_odds_chosen: {
    what: 'ORPO\'s log odds ratio: how much more likely, in odds, the policy makes the chosen completion than the rejected one.',
    how: 'log[p_w / (1 − p_w)] − log[p_l / (1 − p_l)] with p the exponent of each completion\'s mean per-token log-probability (TRL\'s log_odds_chosen), averaged over pairs.',
    healthy: 'It rises above 0 and keeps rising slowly.',
  },
  log_odds_ratio: {
    what: 'The odds-ratio term of ORPO\'s loss before its weight λ.',
    how: 'log σ(log odds ratio), averaged over pairs (TRL\'s log_odds_ratio); the loss adds −λ times it to the chosen NLL.',
    healthy: 'It climbs toward 0 as the log odds ratio grows.',
  },
  kl: {
    what: 'KTO\'s reference point z_ref: the policy\'s KL to the reference, estimated on mismatched prompt–completion pairs.',
    how: 'max(0, mean of log π(y | x\') − log π_ref(y | x\') over pairs whose completion belongs to another prompt), with no gradient (TRL\'s kl).',
    healthy: 'Small and positive, growing slowly; it stays 0 where the policy gives every mismatched completion less probability than the reference.',
  },
  frac_reward_zero_std: {
    what: 'The share of prompt groups whose samples all got the same reward.',
    how: 'Groups of k samples of one prompt whose rewards have standard deviation 0: their advantages are all 0, so they teach nothing.',
    healthy: 'Low. High values mean the reward cannot tell the group\'s samples apart.',
  },
  'clip_ratio/low_mean': {
    what: 'The share of tokens clipped below: a negative advantage with the ratio already under 1 − ε_low.',
    how: 'The fraction of tokens with A < 0 and π/π_old < 1 − ε_low.',
    healthy: 'Small.',
  },
  'clip_ratio/high_mean': {
    what: 'The share of tokens clipped above: a positive advantage with the ratio already over 1 + ε_high.',
    how: 'The fraction of tokens with A > 0 and π/π_old > 1 + ε_high.',
    healthy: 'Small.',
  },
  'clip_ratio/region_mean': {
    what: 'The share of tokens clipped on either side.',
    how: 'clip_ratio/low_mean + clip_ratio/high_mean.',
    healthy: 'Small (about 0.2 or less).',
  },
  'text/length': {
    what: 'The mean length of the policy\'s completions, in characters.',
    how: 'The characters generated before the end token (or the length limit), averaged.',
    healthy: 'It stays near the base model\'s unless the gold reward asks for a length. A steady drift can be a reward model that likes length.',
  },
  'completions/mean_length_pos_adv': {
    what: 'The mean length of the completions with a positive advantage (those the update makes more likely).',
    how: 'The length of each completion with A > 0, averaged.',
    healthy: 'Close to the negative-advantage length; a gap is a length bias the update will amplify.',
  },
  'completions/mean_length_neg_adv': {
    what: 'The mean length of the completions with a negative advantage (those the update makes less likely).',
    how: 'The length of each completion with A < 0, averaged.',
    healthy: 'Close to the positive-advantage length.',
  },
  'env/true_return': {
    what: 'The true return: the environment\'s own reward summed over an episode of the policy.',
    how: 'Episodes rolled out with the current policy; their summed true reward, averaged. Training never sees it.',
    healthy: 'It rises with the comparisons used, toward the line of PPO on the true reward.',
  },
  'env/true_line': {
    what: 'The line to reach: PPO trained on the true reward, with no labels at all.',
    how: 'The true return of the matching -true preset, recorded once.',
    healthy: 'A run from comparisons approaches it.',
  },
  'overopt/rl_gold': {
    what: 'Gold reward of the RL policy, against √KL to the starting policy.',
    how: 'One point per policy iteration: √max(0, KL) across, gold up.',
    healthy: 'It rises, peaks and (with a weak KL penalty) falls: the over-optimization curve of Gao et al. 2022.',
  },
  'overopt/rl_proxy': {
    what: 'Proxy reward of the RL policy against √KL (right axis).',
    how: 'One point per policy iteration.',
    healthy: 'It keeps rising where gold falls: the reward model is being exploited.',
  },
  'overopt/bon_gold': {
    what: 'Gold reward of best-of-n of the starting policy, against √KL.',
    how: 'One point per n: keep the sample the reward model likes best of n; KL = log n − (n−1)/n.',
    healthy: 'It rises with n, then flattens or falls once the reward model\'s favourites stop being gold\'s.',
  },
  'overopt/bon_proxy': {
    what: 'Proxy reward of best-of-n against √KL (right axis).',
    how: 'One point per n.',
    healthy: 'It rises with n.',
  },
  'overopt/rl_fit': {
    what: 'The RL fit of Gao et al.: gold − start ≈ d(α − β·log d), d = √KL.',
    how: 'Least squares of the RL points; drawn only over the √KL range of those points.',
    healthy: 'It follows the points (r² near 1). Its peak is where more optimization stops paying.',
  },
  'overopt/bon_fit': {
    what: 'The best-of-n fit of Gao et al.: gold − start ≈ d(α − β·d), d = √KL.',
    how: 'Least squares of the best-of-n points; drawn only over the √KL range of those points.',
    healthy: 'It follows the points. Beyond them it is a guess, so it is not drawn there.',
  },
  'pixels/brightness': {
    what: 'How bright the policy\'s pictures are: the mean luminance of their pixels, 0 (black) to 1 (white).',
    how: 'Each palette colour\'s luminance (Rec. 709 weights), averaged over every pixel of the batch.',
    healthy: 'Near the base model\'s unless the gold reward asks for brightness. A steady climb under a labeler biased to brightness is the bias being learned.',
  },
  ...Object.fromEntries(
    COLOUR_NAMES.map((c) => [
      `pixels/share_${c}`,
      {
        what: `The share of the policy's pixels that are ${c}.`,
        how: `Pixels of ${c} over all pixels of the batch's pictures.`,
        healthy: `It follows the gold reward. A climb the gold reward does not ask for is a reward model that learned the labelers' liking for ${c}: reward hacking you can see.`,
      },
    ]),
  ),
};

/** Chart keys carry a tag in the runs page's overlay ("A:gold/mean"); the explanation is the metric's. */
const untag = (key: string) => key.replace(/^[AB]:/, '');

/** The explanation of a key, or undefined where the glossary has none. */
export function explanationOf(key: string): Explanation | undefined {
  return GLOSSARY[untag(key)];
}

/** One paragraph: what it is, how it is computed, what a healthy run shows. */
export function explain(key: string): string {
  const e = explanationOf(key);
  return e ? `${e.what} ${e.how} Healthy run: ${e.healthy}` : '';
}
