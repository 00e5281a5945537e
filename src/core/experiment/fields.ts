// Number fields of the Experiment spec: finite numbers and integers within bounds. Every schema piece (the tasks'
// in tasks/registry.ts, the algorithms' beside their trainers) builds its fields from these two.
import * as v from 'valibot';

export const num = (min: number, max = Infinity) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
