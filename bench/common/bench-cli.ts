import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A positive integer option (`1_000_000` allowed); undefined when the option was not given. */
export const positiveInt = (text: string | undefined, name: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new Error(`--${name} must be a positive integer, got ${text}`);
  }
  return n;
};

/** The machine a benchmark ran on, for its JSON report. */
export const machine = () => ({
  node: process.version,
  platform: `${process.platform} ${os.release()} ${process.arch}`,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memoryMb: Math.round(os.totalmem() / 1024 / 1024),
});

export const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

export const repoRoot = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'mailpackr') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
};

export const table = (
  header: readonly string[],
  rows: readonly string[][],
  rightAligned: ReadonlySet<number>,
): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};
