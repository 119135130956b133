import { describe, expect, it } from 'vitest';
import { choleskySolve, fitLogistic, log1pExp, objective, sigmoid } from './logistic.ts';
import { mulberry32 } from './split.ts';

/** Plain gradient ascent on the same objective, run long enough to be exact to ~1e-9: an independent solution. */
function gradientAscent(x: Float64Array[], y: Uint8Array, l2: number, iterations: number): number[] {
  const n = y.length;
  const p = x.length + 1;
  // step 1/L with L = ¼ Σᵢ ‖(1, xᵢ)‖² + λ bounds the Hessian's largest eigenvalue
  let bound = 0;
  for (let i = 0; i < n; i++) {
    let norm = 1;
    for (const column of x) norm += (column[i] as number) ** 2;
    bound += norm / 4;
  }
  const step = 1 / (bound + l2);
  const beta = new Array<number>(p).fill(0);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const gradient = new Array<number>(p).fill(0);
    for (let i = 0; i < n; i++) {
      let eta = beta[0] as number;
      for (let j = 0; j < x.length; j++)
        eta += (beta[j + 1] as number) * ((x[j] as Float64Array)[i] as number);
      const r = (y[i] as number) - sigmoid(eta);
      gradient[0] = (gradient[0] as number) + r;
      for (let j = 0; j < x.length; j++) {
        gradient[j + 1] = (gradient[j + 1] as number) + r * ((x[j] as Float64Array)[i] as number);
      }
    }
    for (let j = 1; j < p; j++) gradient[j] = (gradient[j] as number) - l2 * (beta[j] as number);
    for (let j = 0; j < p; j++) beta[j] = (beta[j] as number) + step * (gradient[j] as number);
  }
  return beta;
}

describe('logistic regression by IRLS', () => {
  it('matches the closed form of one binary feature without penalty', () => {
    // x = 0: 30 rows, 6 events; x = 1: 20 rows, 12 events → β₀ = logit(0.2), β₁ = logit(0.6) − logit(0.2)
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 30; i++) {
      xs.push(0);
      ys.push(i < 6 ? 1 : 0);
    }
    for (let i = 0; i < 20; i++) {
      xs.push(1);
      ys.push(i < 12 ? 1 : 0);
    }
    const fit = fitLogistic([Float64Array.from(xs)], Uint8Array.from(ys), { l2: 0 });
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(fit.converged).toBe(true);
    expect(fit.coefficients[0]).toBeCloseTo(logit(0.2), 10);
    expect(fit.coefficients[1]).toBeCloseTo(logit(0.6) - logit(0.2), 10);
  });

  it('reaches the optimum an independent gradient ascent finds, with an L2 penalty', () => {
    const random = mulberry32(7);
    const n = 60;
    const x1 = new Float64Array(n);
    const x2 = new Float64Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x1[i] = random() * 2 - 1;
      x2[i] = random() * 2 - 1 + 0.5 * (x1[i] as number);
      y[i] = random() < sigmoid(-0.3 + 1.5 * (x1[i] as number) - 1 * (x2[i] as number)) ? 1 : 0;
    }
    const l2 = 0.7;
    const fit = fitLogistic([x1, x2], y, { l2 });
    const reference = gradientAscent([x1, x2], y, l2, 60_000);
    expect(fit.converged).toBe(true);
    for (let j = 0; j < 3; j++) expect(fit.coefficients[j]).toBeCloseTo(reference[j] as number, 7);
    expect(fit.objective).toBeCloseTo(objective([x1, x2], y, reference, l2), 9);
    // a warm start, near or far, reaches the same optimum
    for (const start of [fit.coefficients.map((b) => b + 0.01), [2, -3, 3]]) {
      const warm = fitLogistic([x1, x2], y, { l2, start });
      expect(warm.converged).toBe(true);
      for (let j = 0; j < 3; j++) expect(warm.coefficients[j]).toBeCloseTo(fit.coefficients[j] as number, 9);
    }
    // the penalty shrinks: a stronger one gives smaller slopes
    const strong = fitLogistic([x1, x2], y, { l2: 50 });
    expect(Math.abs(strong.coefficients[1] as number)).toBeLessThan(Math.abs(fit.coefficients[1] as number));
  });

  it('stays finite on separable data when penalised, and refuses one class', () => {
    const x = Float64Array.from([-2, -1, 1, 2]);
    const y = Uint8Array.from([0, 0, 1, 1]);
    const fit = fitLogistic([x], y, { l2: 1 });
    expect(Number.isFinite(fit.coefficients[1])).toBe(true);
    expect(() => fitLogistic([x], Uint8Array.from([1, 1, 1, 1]))).toThrow(/one class/);
  });

  it('has sound numerical helpers', () => {
    expect(log1pExp(1000)).toBe(1000);
    expect(log1pExp(-1000)).toBe(0);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(0)).toBe(0.5);
    // [[4, 2], [2, 3]] z = [2, 1] → z = [0.5, 0]
    const z = choleskySolve(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2);
    expect(z[0]).toBeCloseTo(0.5, 12);
    expect(z[1]).toBeCloseTo(0, 12);
  });
});
