/**
 * Appends items one by one. `target.push(...items)` passes every item as an argument, and past ~120,000
 * (a minified bundle holding that many findings) the call overflows the stack.
 */
export function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
