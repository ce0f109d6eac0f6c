/**
 * Look-up tables keyed by text from user files (`model_type`, `torch_dtype`, kernel names). A plain object
 * literal inherits `constructor`, `toString`, `__proto__`…, so `FAMILIES["constructor"]` would find a
 * function: tables built here have no prototype, and `in`/indexing see only their own entries.
 */
export function table<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}

/** An own entry of any object (a parsed JSON value included), or undefined. */
export function own<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
