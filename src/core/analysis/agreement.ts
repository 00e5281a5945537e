// Agreement between labelers on the items two or more of them labeled ("whose preferences?"): Krippendorff's α for
// nominal data (any number of labelers, missing answers allowed), Cohen's κ for each pair of labelers on the items
// both labeled, and Fleiss' κ over the items labeled more than once. Plain numbers in, plain numbers out; the tab's
// Class page and `rlhf-lab class merge` read this one definition.
//
//   Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability":  α = 1 − D_o / D_e with the coincidence
//   matrix o_ck = Σ_u (pairs of values c, k in unit u) / (m_u − 1) over units with m_u ≥ 2 values, n_c = Σ_k o_ck,
//   D_o ∝ Σ_{c≠k} o_ck, D_e ∝ Σ_{c≠k} n_c·n_k / (n − 1).
//   Cohen (1960):  κ = (p_o − p_e) / (1 − p_e), p_e = Σ_c p_A(c)·p_B(c).
//   Fleiss (1971):  κ = (P̄ − P̄_e) / (1 − P̄_e), P_i = Σ_j n_ij(n_ij − 1) / (n_i(n_i − 1)), p_j = Σ_i n_ij / Σ_i n_i;
//   with n_i the same for every item this is Fleiss' own; where it varies, each item's P_i is its share of agreeing
//   ordered pairs and P̄ their mean, as in the usual generalization.

/** One labeler's answer on one item. */
export interface Rating {
  item: string;
  rater: string;
  value: string;
}

/** A figure and how many items it rests on (null where it is undefined: fewer than two categories, or no items). */
export interface Figure {
  value: number | null;
  items: number;
}

/** Each item's values, one per rater (a rater's later answer on the same item replaces the earlier one). */
function byItem(ratings: readonly Rating[]): Map<string, Map<string, string>> {
  const items = new Map<string, Map<string, string>>();
  for (const r of ratings) {
    const m = items.get(r.item) ?? new Map<string, string>();
    m.set(r.rater, r.value);
    items.set(r.item, m);
  }
  return items;
}

/** Krippendorff's α for nominal values over every item with two or more values. */
export function krippendorffAlpha(ratings: readonly Rating[]): Figure {
  const o = new Map<string, number>(); // "c\u0000k" → coincidences
  let units = 0;
  for (const values of byItem(ratings).values()) {
    const vs = [...values.values()];
    const m = vs.length;
    if (m < 2) continue;
    units++;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i === j) continue;
        const key = `${vs[i]}\u0000${vs[j]}`;
        o.set(key, (o.get(key) ?? 0) + 1 / (m - 1));
      }
    }
  }
  const nc = new Map<string, number>();
  let disagree = 0;
  for (const [key, x] of o) {
    const [c, k] = key.split('\u0000');
    nc.set(c, (nc.get(c) ?? 0) + x);
    if (c !== k) disagree += x;
  }
  const n = [...nc.values()].reduce((a, b) => a + b, 0);
  let expected = 0;
  for (const [c, a] of nc) for (const [k, b] of nc) if (c !== k) expected += a * b;
  if (units === 0 || expected === 0) return { value: null, items: units };
  return { value: 1 - ((n - 1) * disagree) / expected, items: units };
}

/** Cohen's κ of two raters' answers on the same items (paired arrays). */
export function cohenKappa(a: readonly string[], b: readonly string[]): Figure {
  if (a.length !== b.length) throw new Error('cohenKappa: the two raters must answer the same items');
  const n = a.length;
  if (n === 0) return { value: null, items: 0 };
  const pa = new Map<string, number>();
  const pb = new Map<string, number>();
  let same = 0;
  for (let i = 0; i < n; i++) {
    pa.set(a[i], (pa.get(a[i]) ?? 0) + 1 / n);
    pb.set(b[i], (pb.get(b[i]) ?? 0) + 1 / n);
    if (a[i] === b[i]) same++;
  }
  let pe = 0;
  for (const [c, p] of pa) pe += p * (pb.get(c) ?? 0);
  if (pe >= 1 - 1e-12) return { value: null, items: n };
  return { value: (same / n - pe) / (1 - pe), items: n };
}

/** Fleiss' κ from per-item category counts (rows: items, columns: categories); items with fewer than 2 ratings are left out. */
export function fleissKappa(counts: readonly (readonly number[])[]): Figure {
  const rows = counts.filter((r) => r.reduce((a, b) => a + b, 0) >= 2);
  if (rows.length === 0) return { value: null, items: 0 };
  const k = rows[0].length;
  const totals = new Array<number>(k).fill(0);
  let all = 0;
  let pSum = 0;
  for (const r of rows) {
    const ni = r.reduce((a, b) => a + b, 0);
    let agree = 0;
    r.forEach((x, j) => {
      totals[j] += x;
      agree += x * (x - 1);
    });
    all += ni;
    pSum += agree / (ni * (ni - 1));
  }
  const pBar = pSum / rows.length;
  const pe = totals.reduce((a, t) => a + (t / all) ** 2, 0);
  if (pe >= 1 - 1e-12) return { value: null, items: rows.length };
  return { value: (pBar - pe) / (1 - pe), items: rows.length };
}

/** The agreement figures of a set of ratings: α over all, κ for each pair of raters, Fleiss' κ over shared items. */
export interface Agreement {
  raters: string[];
  categories: string[];
  /** Items with any rating, and items rated by two or more raters. */
  items: number;
  shared: number;
  krippendorff_alpha: Figure;
  fleiss_kappa: Figure;
  cohen_kappa: { a: string; b: string; kappa: number | null; items: number }[];
}

export function agreement(ratings: readonly Rating[]): Agreement {
  const items = byItem(ratings);
  const raters = [...new Set(ratings.map((r) => r.rater))].sort();
  const categories = [...new Set(ratings.map((r) => r.value))].sort();
  const shared = [...items.values()].filter((m) => m.size >= 2);
  const cohen: Agreement['cohen_kappa'] = [];
  for (let i = 0; i < raters.length; i++) {
    for (let j = i + 1; j < raters.length; j++) {
      const both = shared.filter((m) => m.has(raters[i]) && m.has(raters[j]));
      const k = cohenKappa(both.map((m) => m.get(raters[i])!), both.map((m) => m.get(raters[j])!));
      cohen.push({ a: raters[i], b: raters[j], kappa: k.value, items: k.items });
    }
  }
  const counts = shared.map((m) => categories.map((c) => [...m.values()].filter((v) => v === c).length));
  return {
    raters,
    categories,
    items: items.size,
    shared: shared.length,
    krippendorff_alpha: krippendorffAlpha(ratings),
    fleiss_kappa: fleissKappa(counts),
    cohen_kappa: cohen,
  };
}
