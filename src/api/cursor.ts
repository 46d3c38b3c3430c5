/**
 * The opaque keyset cursor of `GET /v1/orders`: the last row's `created_at` (to the microsecond,
 * as PostgreSQL stores it) and `id`, base64url-encoded JSON; anything this API did not issue is a 400.
 */
import { textIssue } from './middleware.js';
import { HttpProblem } from './problem.js';
import { MAX_CURSOR_LENGTH } from './schemas.js';

/** Position of a row in the list order: `created_at` as UTC ISO text with microseconds, and id. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

const CURSOR_TEXT = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CURSOR_LENGTH}}$`);
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
/**
 * Range of a cursor's time: every order was created in it. PostgreSQL refuses the year 0000
 * (there is none), and a position outside the range can only be forged.
 */
export const CURSOR_EARLIEST = '1970-01-01T00:00:00.000Z';
export const CURSOR_LATEST = '9999-12-31T23:59:59.999Z';
/** Longest id in a cursor: order ids are 36 characters; the rest of the margin is for ids made elsewhere. */
const CURSOR_ID_MAX = 200;
/** Printable text only: no control characters (NUL among them) and no unpaired surrogates. */
const CURSOR_ID = /^[^\p{Cc}\p{Cs}]+$/u;

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor holds; 400 for anything this API did not issue. */
export function decodeCursor(cursor: string): ListPosition {
  const bad = new HttpProblem(400, 'Invalid cursor', 'The cursor is malformed. Pass nextCursor of a previous page unchanged, or omit it for the first page.', {
    errors: [{ path: 'cursor', message: 'malformed cursor' }],
  });
  if (!CURSOR_TEXT.test(cursor)) throw bad;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!Array.isArray(value) || value.length !== 2) throw bad;
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > CURSOR_ID_MAX) throw bad;
  // The id is compared as text by PostgreSQL, which refuses NUL; broken unicode cannot be sent to it.
  if (!CURSOR_ID.test(id) || textIssue(id)) throw bad;
  // A real calendar instant (rejects e.g. February 30th, which PostgreSQL would refuse), in range.
  const parsed = new Date(createdAt);
  if (!CURSOR_TIME.test(createdAt) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 19) !== createdAt.slice(0, 19)) throw bad;
  if (parsed.getTime() < Date.parse(CURSOR_EARLIEST) || parsed.getTime() > Date.parse(CURSOR_LATEST)) throw bad;
  return { createdAt, id };
}
