/**
 * The answer to a request, the same on every channel (README.md beside this file lists them): the request's id, and
 * `ok: true` with the payload, or `ok: false` with an error whose `kind` says whose fault it was (and so what the
 * user should do) and a `message` written for the user.
 */
export interface RequestError<Kind extends string> {
  kind: Kind;
  message: string;
}

export type Outcome<Payload extends object, Kind extends string> = ({ ok: true } & Payload) | { ok: false; error: RequestError<Kind> };

/** Whether `v` is a RequestError whose kind is one of `kinds`. */
export function isRequestError<Kind extends string>(v: unknown, kinds: readonly Kind[]): v is RequestError<Kind> {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.message === 'string' && (kinds as readonly unknown[]).includes(e.kind);
}
