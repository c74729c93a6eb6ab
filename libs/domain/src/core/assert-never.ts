/** Exhaustiveness check: the compiler proves this is unreachable; at runtime it fails loudly. */
export function assertNever(value: never, message = 'Unexpected value'): never {
  throw new Error(`${message}: ${describe(value)}`);
}

const describe = (value: unknown): string => {
  if (typeof value === 'object' && value !== null && 'type' in value) return String(value.type);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};
