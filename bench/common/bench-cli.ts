import os from 'node:os';

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
