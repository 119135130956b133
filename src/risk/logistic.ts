/**
 * L2-regularised logistic regression fitted by IRLS (Newton's method on the penalised
 * log-likelihood), exact to the optimum: it maximises
 *
 *   ℓ(β) = Σ [yᵢ ηᵢ − ln(1 + e^ηᵢ)] − (λ/2) Σⱼ≥₁ βⱼ²,   ηᵢ = β₀ + Σⱼ βⱼ xᵢⱼ
 *
 * (the intercept is not penalised), solving (XᵀWX + λI′) δ = ∇ℓ by Cholesky at each step and halving
 * the step if ℓ does not rise. Convergence: the largest |δ| under `tolerance`.
 */

import { HuikuanError } from '../shared/errors.ts';

export interface LogisticOptions {
  /** λ of the penalty (sum scale, not per row) */
  l2: number;
  maxIterations: number;
  tolerance: number;
}

export const defaultLogisticOptions: LogisticOptions = { l2: 1, maxIterations: 100, tolerance: 1e-10 };

export interface LogisticFit {
  /** intercept first, then one per column */
  coefficients: number[];
  iterations: number;
  converged: boolean;
  /** penalised log-likelihood at the optimum */
  objective: number;
}

/** ln(1 + e^x) without overflow. */
export function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** The penalised log-likelihood ℓ(β) of columns `x` (each of length n) and 0/1 `y`. */
export function objective(x: Float64Array[], y: Uint8Array, beta: number[], l2: number): number {
  const n = y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let eta = beta[0] as number;
    for (let j = 0; j < x.length; j++) eta += (beta[j + 1] as number) * ((x[j] as Float64Array)[i] as number);
    total += (y[i] as number) * eta - log1pExp(eta);
  }
  let penalty = 0;
  for (let j = 1; j < beta.length; j++) penalty += (beta[j] as number) ** 2;
  return total - (l2 / 2) * penalty;
}

/** Solves A z = b for symmetric positive-definite A (row-major, p×p) by Cholesky. */
export function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * p + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * p + k] as number) * (l[j * p + k] as number);
      if (i === j) {
        if (!(sum > 0)) {
          throw new HuikuanError(
            'bad_input',
            'The features are perfectly collinear or constant, so the regression has no unique solution. Raise the L2 penalty or drop the duplicated features.',
          );
        }
        l[i * p + i] = Math.sqrt(sum);
      } else l[i * p + j] = sum / (l[j * p + j] as number);
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * p + k] as number) * (z[k] as number);
    z[i] = sum / (l[i * p + i] as number);
  }
  for (let i = p - 1; i >= 0; i--) {
    let sum = z[i] as number;
    for (let k = i + 1; k < p; k++) sum -= (l[k * p + i] as number) * (z[k] as number);
    z[i] = sum / (l[i * p + i] as number);
  }
  return z;
}

export function fitLogistic(
  x: Float64Array[],
  y: Uint8Array,
  options: Partial<LogisticOptions> = {},
): LogisticFit {
  const { l2, maxIterations, tolerance } = { ...defaultLogisticOptions, ...options };
  const n = y.length;
  const p = x.length + 1;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] as number;
  if (positives === 0 || positives === n) {
    throw new HuikuanError('bad_input', 'The target has one class only; a model needs rows of both classes.');
  }
  // start at the intercept-only optimum
  let beta = new Array<number>(p).fill(0);
  beta[0] = Math.log(positives / (n - positives));
  let current = objective(x, y, beta, l2);
  const eta = new Float64Array(n);
  const w = new Float64Array(n);
  const r = new Float64Array(n);
  // design row i, column j: 1 for j = 0, else x[j-1][i]
  const column = (j: number): Float64Array | null => (j === 0 ? null : (x[j - 1] as Float64Array));
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let i = 0; i < n; i++) {
      let e = beta[0] as number;
      for (let j = 1; j < p; j++) e += (beta[j] as number) * ((x[j - 1] as Float64Array)[i] as number);
      eta[i] = e;
      const mu = sigmoid(e);
      w[i] = mu * (1 - mu);
      r[i] = (y[i] as number) - mu;
    }
    const hessian = new Float64Array(p * p);
    const gradient = new Float64Array(p);
    for (let a = 0; a < p; a++) {
      const xa = column(a);
      let g = 0;
      for (let i = 0; i < n; i++) g += (xa === null ? 1 : (xa[i] as number)) * (r[i] as number);
      gradient[a] = g - (a === 0 ? 0 : l2 * (beta[a] as number));
      for (let b = 0; b <= a; b++) {
        const xb = column(b);
        let h = 0;
        for (let i = 0; i < n; i++) {
          h +=
            (xa === null ? 1 : (xa[i] as number)) * (w[i] as number) * (xb === null ? 1 : (xb[i] as number));
        }
        if (a === b && a > 0) h += l2;
        hessian[a * p + b] = h;
        hessian[b * p + a] = h;
      }
    }
    const delta = choleskySolve(hessian, gradient, p);
    let step = 1;
    let next = beta;
    let value = current;
    for (let halving = 0; halving < 40; halving++) {
      next = beta.map((b, j) => b + step * (delta[j] as number));
      value = objective(x, y, next, l2);
      if (value >= current - 1e-12 * Math.abs(current)) break;
      step /= 2;
    }
    let largest = 0;
    for (let j = 0; j < p; j++) largest = Math.max(largest, Math.abs(step * (delta[j] as number)));
    beta = next;
    current = value;
    if (largest < tolerance) {
      converged = true;
      break;
    }
  }
  return { coefficients: beta, iterations, converged, objective: current };
}
