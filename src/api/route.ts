/**
 * A REST route, declared once: method, path, who may call it, the zod schemas of its request,
 * its documented answers and its handler. `routerOf` builds the express router from such
 * declarations (checking the declared body and query before the handler runs) and `openApiPaths`
 * the `paths` of the OpenAPI document (src/api/openapi.ts), so the two cannot drift apart.
 */
import { Router, type Request, type RequestHandler, type Response, type RouterOptions } from 'express';
import type { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import type { ApiClient } from './clients.js';
import type { Examples } from './examples.js';
import { allow } from './middleware.js';
import { validationProblem, zodFieldErrors, type FieldError } from './problem.js';
import { JSON_TYPE } from './route-docs.js';

/** Name of the bearer API key scheme of the document. */
export const SECURITY_SCHEME = 'apiKey';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The request as its declaration checked it: the parsed body and query. */
export interface RouteInput<B, Q> {
  body: B;
  query: Q;
}

/** The body a route takes (always `application/json`), checked against `schema` (422 otherwise). */
export interface BodyDeclaration<B> {
  schema: z.ZodType<B>;
  /** An optional body may be left out; it is then checked as `{}`. */
  required: boolean;
  example?: unknown;
  examples?: Record<string, { summary: string; value: unknown }>;
}

/** The query a route takes, checked against `schema` (422 otherwise, with `detail`). */
export interface QueryDeclaration<Q> {
  schema: z.ZodType<Q>;
  /** Field errors of a failed check, when the route words them its own way. */
  errors?: (error: z.ZodError) => FieldError[];
  detail?: string;
}

export interface Route<C, B = unknown, Q = unknown> {
  method: Method;
  /** Express spelling, e.g. `/v1/orders/:id`; the document spells it `/v1/orders/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Kinds of API key that may call the route (403 for the others); without it the route is public. */
  allow?: ApiClient['kind'][];
  request?: {
    /** Path parameters, documented; the handler looks them up (404 for an unknown one). */
    params?: z.ZodObject;
    /** Request headers, documented; a handler or `before` checks the ones with rules of their own. */
    headers?: z.ZodObject;
    query?: QueryDeclaration<Q>;
    body?: BodyDeclaration<B>;
  };
  /** The documented answers by status; `ex` holds the document's examples. */
  responses: (ex: Examples) => ZodOpenApiResponsesObject;
  /** What runs after the key kind is checked and before the declared schemas are: body parsers, header checks. */
  before?: (ctx: C) => RequestHandler[];
  /** The handler, made once per app from the context of its area. */
  handler: (ctx: C) => (req: Request, res: Response, input: RouteInput<B, Q>) => unknown;
}

/** A declaration of any body and query, as routes are listed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the handler takes its route's own input types; `unknown` would not accept them (parameters are contravariant)
export type AnyRoute<C> = Route<C, any, any>;

/** Declares a route of an area whose handlers share the context `C`. */
export function route<C>() {
  return <B = undefined, Q = undefined>(declaration: Route<C, B, Q>): AnyRoute<C> => declaration;
}

/** `/v1/orders/:id` → `/v1/orders/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function checkedInput(declaration: AnyRoute<unknown>, req: Request): RouteInput<unknown, unknown> {
  const input: RouteInput<unknown, unknown> = { body: req.body, query: req.query };
  const { body, query } = declaration.request ?? {};
  if (query) {
    const parsed = query.schema.safeParse(req.query);
    if (!parsed.success) throw validationProblem((query.errors ?? zodFieldErrors)(parsed.error), query.detail);
    input.query = parsed.data;
  }
  if (body) {
    const parsed = body.schema.safeParse(body.required ? req.body : (req.body ?? {}));
    if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error));
    input.body = parsed.data;
  }
  return input;
}

/**
 * The express router of `routes`, to be mounted at `base` (their paths start with it): per route
 * the key kind check, `before`, the declared body and query, then the handler.
 */
export function routerOf<C>(routes: readonly AnyRoute<C>[], ctx: C, options: { base?: string; router?: RouterOptions } = {}): Router {
  const base = options.base ?? '';
  const router = Router(options.router);
  for (const declaration of routes) {
    if (!declaration.path.startsWith(`${base}/`)) throw new Error(`route ${declaration.path} is not under ${base || '/'}`);
    const handle = declaration.handler(ctx);
    const chain: RequestHandler[] = [
      ...(declaration.allow ? [allow(...declaration.allow)] : []),
      ...(declaration.before?.(ctx) ?? []),
      (req, res) => handle(req, res, checkedInput(declaration as AnyRoute<unknown>, req)),
    ];
    router[declaration.method](declaration.path.slice(base.length), ...chain);
  }
  return router;
}

/** The OpenAPI operation of a declaration. */
function operation(declaration: AnyRoute<never>, ex: Examples): ZodOpenApiOperationObject {
  const { params, headers, query, body } = declaration.request ?? {};
  const requestParams = {
    ...(params ? { path: params } : {}),
    ...(query ? { query: query.schema as z.ZodObject } : {}),
    ...(headers ? { header: headers } : {}),
  };
  return {
    ...(declaration.allow ? { security: [{ [SECURITY_SCHEME]: [] }] } : {}),
    operationId: declaration.operationId,
    tags: declaration.tags,
    summary: declaration.summary,
    ...(declaration.description !== undefined ? { description: declaration.description } : {}),
    ...(declaration.allow ? {} : { security: [] }),
    ...(Object.keys(requestParams).length > 0 ? { requestParams } : {}),
    ...(body
      ? {
          requestBody: {
            required: body.required,
            content: {
              [JSON_TYPE]: {
                schema: body.schema,
                ...(body.example !== undefined ? { example: body.example } : {}),
                ...(body.examples ? { examples: body.examples } : {}),
              },
            },
          },
        }
      : {}),
    responses: declaration.responses(ex),
  };
}

/** The `paths` of the document: one operation per declaration (a path and method declared twice is an error). */
export function openApiPaths(routes: readonly AnyRoute<never>[], ex: Examples): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const declaration of routes) {
    const path = openApiPath(declaration.path);
    const item = (paths[path] ??= {});
    if (item[declaration.method]) throw new Error(`${declaration.method.toUpperCase()} ${path} is declared twice`);
    item[declaration.method] = operation(declaration, ex);
  }
  return paths;
}
