/**
 * How the admin API says that something does not exist yet (issue 6: "parts of the router that do not
 * exist yet show 'not available yet' from the API — never invented numbers"). A value that cannot be
 * known is the object `{ available: false, reason }` in place of the value; a whole feature that cannot
 * be used answers HTTP 503 with `{ error: 'not available yet', feature, detail }`.
 */
export const NOT_AVAILABLE_YET = 'not available yet';

export interface NotAvailable {
  available: false;
  reason: string;
}

/** A value, or why there is none. */
export type Maybe<T> = T | NotAvailable;

export function notAvailable(reason: string = NOT_AVAILABLE_YET): NotAvailable {
  return { available: false, reason };
}

export function isNotAvailable(v: unknown): v is NotAvailable {
  return typeof v === 'object' && v !== null && (v as { available?: unknown }).available === false;
}

/** The getter's value, or "not available yet" when the source does not provide that getter. */
export function maybe<T>(getter: (() => T) | undefined): Maybe<T> {
  return getter === undefined ? notAvailable() : getter();
}

/** Body of a 503 for a feature that does not exist yet. */
export interface FeatureUnavailable {
  error: typeof NOT_AVAILABLE_YET;
  feature: string;
  detail: string;
}

export function featureUnavailable(feature: string, detail: string): FeatureUnavailable {
  return { error: NOT_AVAILABLE_YET, feature, detail };
}

/** JSON schema of NotAvailable, and of "T or NotAvailable". */
export const notAvailableSchema = {
  type: 'object',
  description: 'the value is not known: `reason` says why (e.g. "not available yet")',
  required: ['available', 'reason'],
  additionalProperties: false,
  properties: { available: { type: 'boolean', enum: [false] }, reason: { type: 'string' } },
} as const;

export function maybeSchema<S extends object>(schema: S): { anyOf: [S, typeof notAvailableSchema] } {
  return { anyOf: [schema, notAvailableSchema] };
}

export const featureUnavailableSchema = {
  type: 'object',
  description: 'the feature does not exist in the router yet',
  required: ['error', 'feature', 'detail'],
  additionalProperties: false,
  properties: { error: { type: 'string', enum: [NOT_AVAILABLE_YET] }, feature: { type: 'string' }, detail: { type: 'string' } },
} as const;
