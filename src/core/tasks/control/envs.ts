// Control environments for learning from segment comparisons (Christiano et al. 2017), in plain TypeScript so
// they run the same in the worker, in Node and in tests. Each is deterministic given its generator, and carries
// its true reward: what a simulated labeler watches, and the line PPO on the true reward reaches.
import type { Rng } from '../../rng';

export interface StepResult {
  obs: Float32Array;
  /** The true reward of this step. */
  reward: number;
  done: boolean;
}

export interface ControlEnv {
  readonly name: string;
  readonly obsSize: number;
  /** Discrete actions (cart-pole) or a continuous action vector (reacher). */
  readonly action: { kind: 'discrete'; n: number } | { kind: 'continuous'; size: number; low: number; high: number };
  readonly maxSteps: number;
  /** Steps taken in the current episode. */
  readonly steps: number;
  reset(rng: Rng): Float32Array;
  /** Puts the environment in the state an observation shows, as an episode's first step (the red team replays clips from it). */
  restore(obs: ArrayLike<number>): void;
  step(action: number | Float32Array): StepResult;
}

/**
 * Cart-pole (Barto, Sutton & Anderson 1983) with the classic constants and Euler integration, as Gym's CartPole-v1:
 * push left or right with 10 N; +1 per step; the episode ends when |x| > 2.4, |θ| > 12°, or after 500 steps.
 */
export class CartPole implements ControlEnv {
  static readonly GRAVITY = 9.8;
  static readonly MASS_CART = 1.0;
  static readonly MASS_POLE = 0.1;
  /** Half the pole's length. */
  static readonly LENGTH = 0.5;
  static readonly FORCE = 10;
  static readonly TAU = 0.02;
  static readonly X_LIMIT = 2.4;
  static readonly THETA_LIMIT = (12 * 2 * Math.PI) / 360;

  readonly name = 'cartpole';
  readonly obsSize = 4;
  readonly action = { kind: 'discrete', n: 2 } as const;
  readonly maxSteps = 500;
  /** [x, ẋ, θ, θ̇] */
  state = new Float64Array(4);
  steps = 0;

  reset(rng: Rng): Float32Array {
    for (let i = 0; i < 4; i++) this.state[i] = (rng.uniform() - 0.5) * 0.1;
    this.steps = 0;
    return Float32Array.from(this.state);
  }

  restore(obs: ArrayLike<number>): void {
    for (let i = 0; i < 4; i++) this.state[i] = obs[i];
    this.steps = 0;
  }

  step(action: number | Float32Array): StepResult {
    const C = CartPole;
    const [x, xDot, theta, thetaDot] = this.state;
    const force = Number(action) === 1 ? C.FORCE : -C.FORCE;
    const total = C.MASS_CART + C.MASS_POLE;
    const poleMassLength = C.MASS_POLE * C.LENGTH;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + poleMassLength * thetaDot * thetaDot * sin) / total;
    const thetaAcc = (C.GRAVITY * sin - cos * temp) / (C.LENGTH * (4 / 3 - (C.MASS_POLE * cos * cos) / total));
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / total;
    this.state[0] = x + C.TAU * xDot;
    this.state[1] = xDot + C.TAU * xAcc;
    this.state[2] = theta + C.TAU * thetaDot;
    this.state[3] = thetaDot + C.TAU * thetaAcc;
    this.steps += 1;
    const fell = Math.abs(this.state[0]) > C.X_LIMIT || Math.abs(this.state[2]) > C.THETA_LIMIT;
    return { obs: Float32Array.from(this.state), reward: 1, done: fell || this.steps >= this.maxSteps };
  }
}

/**
 * A point mass on the square [−1, 1]² that must reach a goal: the action is a force in [−1, 1]², velocity is damped,
 * the walls stop it. True reward −‖p − goal‖ per step; 50 steps. Observation [p, v, goal − p].
 */
export class PointReacher implements ControlEnv {
  static readonly DT = 0.1;
  static readonly DAMPING = 0.95;

  readonly name = 'reacher';
  readonly obsSize = 6;
  readonly action = { kind: 'continuous', size: 2, low: -1, high: 1 } as const;
  readonly maxSteps = 50;
  pos = new Float64Array(2);
  vel = new Float64Array(2);
  goal = new Float64Array(2);
  steps = 0;

  reset(rng: Rng): Float32Array {
    for (let i = 0; i < 2; i++) {
      this.pos[i] = (rng.uniform() * 2 - 1) * 0.8;
      this.goal[i] = (rng.uniform() * 2 - 1) * 0.8;
      this.vel[i] = 0;
    }
    this.steps = 0;
    return this.obs();
  }

  private obs(): Float32Array {
    return Float32Array.from([this.pos[0], this.pos[1], this.vel[0], this.vel[1], this.goal[0] - this.pos[0], this.goal[1] - this.pos[1]]);
  }

  restore(obs: ArrayLike<number>): void {
    for (let i = 0; i < 2; i++) {
      this.pos[i] = obs[i];
      this.vel[i] = obs[2 + i];
      this.goal[i] = obs[i] + obs[4 + i];
    }
    this.steps = 0;
  }

  distance(): number {
    return Math.hypot(this.pos[0] - this.goal[0], this.pos[1] - this.goal[1]);
  }

  step(action: number | Float32Array): StepResult {
    const a = action as Float32Array;
    const R = PointReacher;
    for (let i = 0; i < 2; i++) {
      const f = Math.max(-1, Math.min(1, a[i]));
      this.vel[i] = R.DAMPING * (this.vel[i] + R.DT * f);
      this.pos[i] += R.DT * this.vel[i];
      if (this.pos[i] > 1 || this.pos[i] < -1) {
        this.pos[i] = Math.max(-1, Math.min(1, this.pos[i]));
        this.vel[i] = 0;
      }
    }
    this.steps += 1;
    return { obs: this.obs(), reward: -this.distance(), done: this.steps >= this.maxSteps };
  }
}
