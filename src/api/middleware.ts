import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiClient, ClientDirectory } from './clients.js';
import { HttpProblem, validationProblem, type FieldError } from './problem.js';

/** Largest accepted request body. */
export const BODY_LIMIT = '64kb';

/** Limiter of failed authentications per source address, see createAuthFailureLimiter (src/api/rate-limit.ts). */
export interface AuthFailureLimiter {
  /**
   * Before a key is looked up: true when the request may go on; false when its address is over
   * its budget of failures and the 429 has been sent. A blocked address is refused whatever key
   * it sends, so trying keys cannot tell a valid one by a different answer.
   */
  admit(req: Request, res: Response): Promise<boolean>;
  /** Counts a failed authentication; false when that was one too many and the 429 has been sent. */
  recordFailure(req: Request, res: Response): Promise<boolean>;
}

const unauthorized = (detail: string) => new HttpProblem(401, 'Unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer' });

/**
 * `Authorization: Bearer <key>` → `req.client`; 401 when missing, unknown or revoked. With a
 * `failures` limiter, an address that keeps failing gets 429 instead (src/api/rate-limit.ts).
 */
export function authenticate(clients: ClientDirectory, failures?: AuthFailureLimiter): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (failures && !(await failures.admit(req, res))) return;
    const match = /^Bearer\s+(\S{1,512})$/i.exec(req.get('authorization') ?? '');
    const client = match?.[1] ? await clients.byKey(match[1]) : undefined;
    if (!client) {
      if (failures && !(await failures.recordFailure(req, res))) return;
      throw unauthorized(match?.[1] ? 'The API key is unknown or revoked.' : 'Send your API key as "Authorization: Bearer <key>".');
    }
    req.client = client;
    next();
  };
}

/** 403 unless the caller's key is of one of these kinds. */
export function allow(...kinds: ApiClient['kind'][]): RequestHandler {
  return (req, _res, next) => {
    const kind = req.client?.kind;
    if (!kind || !kinds.includes(kind)) {
      throw new HttpProblem(
        403,
        'Forbidden',
        `A ${kind ?? 'missing'} key may not use ${req.method} ${req.baseUrl}${req.route?.path ?? ''}; allowed: ${kinds.join(', ')}.`,
      );
    }
    next();
  };
}

// Code units, not code points (no `u` flag): a high surrogate without a low one after it, or a low one without a high one before it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored or passed on as it is (NUL, unpaired surrogates); undefined when it can. */
export function textIssue(text: string): string | undefined {
  return stringIssue(text);
}

function stringIssue(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode (an unpaired surrogate)';
  return undefined;
}

/**
 * What no schema lets through but JSON can carry: an own `__proto__` key (zod drops it
 * silently, so the request would be accepted without it) and strings, keys included, that
 * PostgreSQL cannot store (NUL) or that cannot be encoded as UTF-8 (lone surrogates; they would
 * come back as U+FFFD). Iterative, so a deeply nested body costs no stack.
 */
export function unacceptableJson(body: unknown, maxErrors = 20): FieldError[] {
  interface Node {
    value: unknown;
    key?: string;
    parent?: Node;
  }
  const pathOf = (node: Node, key?: string) => {
    const parts: string[] = key === undefined ? [] : [key];
    for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) parts.unshift(n.key);
    return parts.join('.') || '(root)';
  };
  const errors: FieldError[] = [];
  const stack: Node[] = [{ value: body }];
  while (stack.length > 0 && errors.length < maxErrors) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      const issue = stringIssue(value);
      if (issue) errors.push({ path: pathOf(node), message: issue });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: String(i), parent: node });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const issue = key === '__proto__' ? 'is not allowed as a key' : stringIssue(key);
        if (issue) errors.push({ path: pathOf(node, key), message: `the key ${JSON.stringify(key)} ${issue}` });
        else stack.push({ value: child, key, parent: node });
      }
    }
  }
  return errors;
}

/** 422 for a parsed body with `unacceptableJson` content; runs after a JSON parser. */
export const acceptableJson: RequestHandler = (req, _res, next) => {
  const errors = unacceptableJson(req.body);
  if (errors.length > 0) throw validationProblem(errors, 'The request body holds keys or characters that cannot be accepted.');
  next();
};

/** JSON bodies only (415 otherwise), at most BODY_LIMIT (413), well-formed (400), storable (422). */
export const jsonBody: RequestHandler[] = [
  (req, _res, next) => {
    if (!req.is('application/json')) throw new HttpProblem(415, 'Unsupported media type', 'Send the body as application/json.');
    next();
  },
  express.json({ limit: BODY_LIMIT, strict: true, type: () => true }),
  acceptableJson,
];

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * An optional JSON body (cancel): no body at all is fine (no Content-Type, no Content-Length or
 * 0, not chunked) and counts as `{}`; anything else must be JSON as for `jsonBody` (415 for
 * another media type, or a body without one; 413, 400, 422 as there).
 */
export const optionalJsonBody: RequestHandler[] = [
  (req, _res, next) => {
    const type = req.get('content-type');
    const length = req.get('content-length');
    const empty = req.get('transfer-encoding') === undefined && (length === undefined || Number(length) === 0);
    if (type === undefined ? !empty : !JSON_MEDIA_TYPE.test(type)) {
      throw new HttpProblem(415, 'Unsupported media type', 'Send the body as application/json, or send no body (and no Content-Type) at all.');
    }
    next();
  },
  express.json({ limit: BODY_LIMIT, strict: true, type: () => true }),
  acceptableJson,
];

/** The client as a route that ran `authenticate` sees it. */
export function caller(req: Request): ApiClient {
  if (!req.client) throw new HttpProblem(401, 'Unauthorized', 'Authentication is required.');
  return req.client;
}
