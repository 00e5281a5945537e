// The control environments against their equations, worked by hand for one step, and their episode rules.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { CartPole, PointReacher } from '../../src/core/tasks/control/envs';

describe('CartPole', () => {
  it('takes one Euler step of the classic dynamics, worked by hand', () => {
    // From x = 0, ẋ = 0, θ = 0.1, θ̇ = 0, pushing right (+10 N):
    //   temp = (10 + 0.05·0·sin 0.1)/1.1 = 9.090909
    //   θ̈ = (9.8·sin 0.1 − cos 0.1·9.090909) / (0.5·(4/3 − 0.1·cos²0.1/1.1))
    //      = (0.978367 − 9.045503) / (0.5·(1.333333 − 0.090004)) = −8.067136 / 0.621665 = −12.976662
    //   ẍ = 9.090909 − 0.05·(−12.976662)·cos 0.1 / 1.1 = 9.090909 + 0.586904 = 9.677813
    const env = new CartPole();
    env.state.set([0, 0, 0.1, 0]);
    const { obs, reward, done } = env.step(1);
    expect(reward).toBe(1);
    expect(done).toBe(false);
    expect(obs[0]).toBeCloseTo(0, 9); // x += τ·ẋ (ẋ was 0)
    expect(obs[1]).toBeCloseTo(0.02 * 9.677813, 5);
    expect(obs[2]).toBeCloseTo(0.1, 7);
    expect(obs[3]).toBeCloseTo(0.02 * -12.976662, 5);
  });

  it('ends when the pole passes 12° or the cart leaves the track, and after 500 steps', () => {
    const env = new CartPole();
    env.reset(new Rng(1));
    let steps = 0;
    let r = env.step(1);
    while (!r.done) {
      r = env.step(1); // always right: the pole falls back within a few dozen steps
      steps++;
    }
    expect(steps).toBeLessThan(60);
    expect(Math.abs(env.state[2]) > CartPole.THETA_LIMIT || Math.abs(env.state[0]) > CartPole.X_LIMIT).toBe(true);
    // Upright and still, one push does not topple it: at step 500 the episode ends on the count alone.
    const still = new CartPole();
    still.state.set([0, 0, 0, 0]);
    still.steps = 498;
    expect(still.step(0).done).toBe(false);
    expect(still.step(1).done).toBe(true);
    expect(still.steps).toBe(500);
  });

  it('resets deterministically from a seed, within ±0.05', () => {
    const a = new CartPole().reset(new Rng(7));
    const b = new CartPole().reset(new Rng(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
  });
});

describe('PointReacher', () => {
  it('integrates damped velocity, stops at walls, and rewards −distance to the goal', () => {
    const env = new PointReacher();
    env.reset(new Rng(1));
    env.pos.set([0, 0.995]);
    env.vel.set([0, 0.5]);
    env.goal.set([0.5, 0]);
    const { obs, reward } = env.step(Float32Array.from([1, 2]));
    // x: v = 0.95·(0 + 0.1·1) = 0.095, p = 0.0095; y: v = 0.95·(0.5 + 0.1·1) = 0.57, p = 0.995 + 0.057 > 1 → wall
    expect(obs[0]).toBeCloseTo(0.0095, 6);
    expect(obs[1]).toBe(1);
    expect(obs[2]).toBeCloseTo(0.095, 6);
    expect(obs[3]).toBe(0);
    expect(reward).toBeCloseTo(-Math.hypot(0.0095 - 0.5, 1), 9);
    expect(Array.from(obs.slice(4))).toEqual([Math.fround(0.5 - 0.0095), -1].map(Math.fround));
  });

  it('ends after 50 steps and resets the same from the same seed', () => {
    const env = new PointReacher();
    const o1 = env.reset(new Rng(3));
    let r = env.step(Float32Array.from([0, 0]));
    while (!r.done) r = env.step(Float32Array.from([0, 0]));
    expect(env.steps).toBe(50);
    expect(Array.from(new PointReacher().reset(new Rng(3)))).toEqual(Array.from(o1));
  });
});
