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

/**
 * Fits β to columns `x` (each of length n) and 0/1 `y`. `start` (intercept first, one per column)
 * warm-starts Newton's method, e.g. from the fit before a column was dropped; else it starts at the
 * intercept-only optimum. The Hessian is built column pair by column pair (tight loops over typed
 * arrays), and the step-halving search moves η along Xδ rather than recomputing Xβ.
 */
export function fitLogistic(
  x: Float64Array[],
  y: Uint8Array,
  options: Partial<LogisticOptions> & { start?: number[] } = {},
): LogisticFit {
  const { l2, maxIterations, tolerance } = { ...defaultLogisticOptions, ...options };
  const n = y.length;
  const p = x.length + 1;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] as number;
  if (positives === 0 || positives === n) {
    throw new HuikuanError('bad_input', 'The target has one class only; a model needs rows of both classes.');
  }
  // the design's columns, the first the intercept's 1
  const columns = [new Float64Array(n).fill(1), ...x];
  // start where asked (a warm start), else at the intercept-only optimum
  let beta = new Array<number>(p).fill(0);
  if (options.start !== undefined && options.start.length === p) beta = [...options.start];
  else beta[0] = Math.log(positives / (n - positives));
  const eta = new Float64Array(n);
  const step = new Float64Array(n);
  const trial = new Float64Array(n);
  const w = new Float64Array(n);
  const r = new Float64Array(n);
  const wa = new Float64Array(n);
  /** out = X · coefficients */
  const linear = (coefficients: ArrayLike<number>, out: Float64Array) => {
    out.fill(0);
    for (let j = 0; j < p; j++) {
      const c = coefficients[j] as number;
      const column = columns[j] as Float64Array;
      for (let i = 0; i < n; i++) out[i] = (out[i] as number) + c * (column[i] as number);
    }
  };
  const penalised = (etas: Float64Array, coefficients: ArrayLike<number>) => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const e = etas[i] as number;
      total += (y[i] as number) * e - log1pExp(e);
    }
    let penalty = 0;
    for (let j = 1; j < p; j++) penalty += (coefficients[j] as number) ** 2;
    return total - (l2 / 2) * penalty;
  };
  linear(beta, eta);
  let current = penalised(eta, beta);
  const hessian = new Float64Array(p * p);
  const gradient = new Float64Array(p);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let i = 0; i < n; i++) {
      const mu = sigmoid(eta[i] as number);
      w[i] = mu * (1 - mu);
      r[i] = (y[i] as number) - mu;
    }
    // gradient Xᵀr − λβ and Hessian XᵀWX + λI′, column pair by column pair
    for (let a = 0; a < p; a++) {
      const xa = columns[a] as Float64Array;
      let g = 0;
      for (let i = 0; i < n; i++) {
        const v = xa[i] as number;
        g += v * (r[i] as number);
        wa[i] = (w[i] as number) * v;
      }
      gradient[a] = a === 0 ? g : g - l2 * (beta[a] as number);
      for (let b = 0; b <= a; b++) {
        const xb = columns[b] as Float64Array;
        let h = 0;
        for (let i = 0; i < n; i++) h += (wa[i] as number) * (xb[i] as number);
        if (a === b && a > 0) h += l2;
        hessian[a * p + b] = h;
        hessian[b * p + a] = h;
      }
    }
    const delta = choleskySolve(hessian, gradient, p);
    linear(delta, step);
    // halve the step until the penalised likelihood does not fall (η moves along Xδ)
    let size = 1;
    let next = beta;
    let value = current;
    for (let halving = 0; halving < 40; halving++) {
      next = beta.map((b, j) => b + size * (delta[j] as number));
      for (let i = 0; i < n; i++) trial[i] = (eta[i] as number) + size * (step[i] as number);
      value = penalised(trial, next);
      if (value >= current - 1e-12 * Math.abs(current)) break;
      size /= 2;
    }
    let largest = 0;
    for (let j = 0; j < p; j++) largest = Math.max(largest, Math.abs(size * (delta[j] as number)));
    beta = next;
    eta.set(trial);
    current = value;
    if (largest < tolerance) {
      converged = true;
      break;
    }
  }
  return { coefficients: beta, iterations, converged, objective: current };
}
