import type { FastifyRequest } from 'fastify';

/**
 * Small helpers for reading untrusted request input (route params, query strings, form bodies) without
 * trusting its shape: a malformed value becomes "absent" or "not found", never a 500.
 */

/** A UUID in any letter case: ids in URLs and forms are checked with this before they reach SQL (a malformed uuid is an error in PostgreSQL). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value is a UUID (see UUID), so an id from outside can be looked up safely. */
export const isUuid = (value: string): boolean => UUID.test(value);

/** The query string as a plain record: fastify leaves it undefined on some requests, and its values are unchecked. */
export const queryOf = (request: FastifyRequest) => (request.query ?? {}) as Record<string, unknown>;

/** The form body as a plain record: the body is missing (or not an object) when a request has none or an unparsed type. */
export const bodyOf = (request: FastifyRequest) =>
  (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;

/** A query or form value as one string: a repeated parameter arrives as an array, so take the first; '' for anything else (not trimmed). */
export const one = (value: unknown): string => {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
};

/** A table's own entry for a key from outside, so "constructor", "__proto__" and the like are not found via the prototype. */
export const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
