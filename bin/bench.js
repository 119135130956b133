#!/usr/bin/env node
// `npm run bench -- NAME [--size N]`: runs bench/NAME.ts (TypeScript through tsx, as bin/huikuan.js does).
import { existsSync, readdirSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const [name, ...args] = process.argv.slice(2);
const file = name && /^[a-z][a-z0-9-]*$/.test(name) ? new URL(`../bench/${name}.ts`, import.meta.url) : null;
if (!file || !existsSync(file)) {
  // every bench/*.ts that is a benchmark (the shared helpers are not)
  const helpers = new Set(['common', 'generate', 'seed']);
  const names = readdirSync(new URL('../bench/', import.meta.url))
    .filter((entry) => entry.endsWith('.ts'))
    .map((entry) => entry.slice(0, -3))
    .filter((entry) => !helpers.has(entry))
    .sort();
  process.stderr.write(`usage: npm run bench -- ${names.join('|')} [--size N] [--seed N]\n`);
  process.exit(2);
}
register();
const bench = await import(file.href);
try {
  process.exitCode = await bench.run(args);
} catch (error) {
  process.stderr.write(`bench ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
