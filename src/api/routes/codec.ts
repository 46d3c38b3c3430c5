/**
 * The codec endpoint: `POST /v1/codec/decode` and `POST /v1/codec/encode` in Temporal's codec server
 * protocol, so the Temporal Web UI (`TEMPORAL_CODEC_ENDPOINT`, or its "Codec Server" setting)
 * and `temporal … --codec-endpoint` show the decrypted payloads of order histories. Operator keys
 * only; the browser's cross-origin calls are allowed from TEMPORAL_UI_URL alone.
 *
 * Body and answer: `{ "payloads": [{ "metadata": { "<key>": "<base64>" }, "data": "<base64>" }] }`
 * (the proto3 JSON of Temporal's Payloads: every bytes value base64).
 */
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { PayloadDecryptionError, payloadCodec } from '../../platform/temporal/codec.js';
import type { ApiDeps } from '../deps.js';
import { DEV_CLIENTS } from '../clients.js';
import { allow, authenticate } from '../middleware.js';
import { HttpProblem } from '../problem.js';
import { route, routerOf } from '../route.js';
import { AUTHENTICATED, JSON_BODY_ERRORS, ok, response, validationFailed } from '../route-docs.js';

/** Largest accepted body: a history page's payloads, each at most Temporal's 2 MB blob limit. */
export const CODEC_BODY_LIMIT = '8mb';

// Standard or URL-safe alphabet, padding optional (proto3 JSON parsers accept both).
const base64 = z
  .string()
  .max(3_000_000)
  .regex(/^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2,3}={0,2})?$/, 'base64');
const PayloadJson = z.object({ metadata: z.record(z.string().max(256), base64).optional(), data: base64.optional() });
/** Body of `POST /v1/codec/encode` and `/v1/codec/decode`. */
export const CodecBodySchema = z.object({ payloads: z.array(PayloadJson).max(10_000) });

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const b64 = (data: Uint8Array | null | undefined) => Buffer.from(data ?? new Uint8Array()).toString('base64');

function fromJson(p: z.infer<typeof PayloadJson>): Payload {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, bytes(v)])), data: bytes(p.data ?? '') };
}

function toJson(p: Payload) {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data) };
}

/**
 * CORS for the Temporal Web UI's origin: its browser sends the payloads with `Authorization`
 * (when the UI passes the access token), `Content-Type` and `X-Namespace`; the preflight is
 * answered before authentication, as browsers send it without credentials.
 */
function uiCors(uiUrl: string): RequestHandler {
  const allowed = new URL(uiUrl).origin;
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === allowed) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Max-Age': '600',
      });
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
}

const ENCRYPTED_EXAMPLE = { metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==', 'encryption-key-id': 'azE=' }, data: 'q83vASNFZ4mrze8BI0VniZ6r3e8=' };
const PLAIN_EXAMPLE = { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJzdGF0dXMiOiJkZWxpdmVyZWQifQ==' };

interface CodecContext {
  codec: ReturnType<typeof payloadCodec>;
}
const codecRoute = route<CodecContext>();

function codecDeclaration(direction: 'encode' | 'decode') {
  const [from, to] = direction === 'decode' ? [ENCRYPTED_EXAMPLE, PLAIN_EXAMPLE] : [PLAIN_EXAMPLE, ENCRYPTED_EXAMPLE];
  return codecRoute<z.infer<typeof CodecBodySchema>>({
    method: 'post',
    path: `/v1/codec/${direction}`,
    operationId: `${direction}Payloads`,
    tags: ['Operations'],
    summary: direction === 'decode' ? 'Decrypt Temporal payloads (codec server)' : 'Encrypt Temporal payloads (codec server)',
    description:
      "Operator keys only. Temporal's codec server protocol, for the Temporal Web UI and `temporal --codec-endpoint <base>/v1/codec`: every bytes value is base64. " +
      (direction === 'decode' ? "Payloads without the codec's encoding come back as they are." : 'Encrypted with the first key of PAYLOAD_ENCRYPTION_KEYS.'),
    allow: ['operator'],
    request: { body: { schema: CodecBodySchema, required: true, example: { payloads: [from] } } },
    responses: () => ({
      '200': ok('The payloads, in the same order.', CodecBodySchema, { payloads: [to] }),
      ...JSON_BODY_ERRORS,
      '422': validationFailed("The body is not of the protocol's shape.", `/v1/codec/${direction}`, [
        { path: 'payloads', message: 'Invalid input: expected array, received undefined' },
      ]),
      '403': response('Forbidden'),
      ...AUTHENTICATED,
    }),
    handler:
      ({ codec }) =>
      async (_req, res, { body }) => {
        const payloads = body.payloads.map(fromJson);
        let out: Payload[];
        try {
          out = direction === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
        } catch (err) {
          if (err instanceof PayloadDecryptionError) throw new HttpProblem(400, 'Payload cannot be decrypted', err.message);
          throw err;
        }
        res.set('Cache-Control', 'no-store').json({ payloads: out.map(toJson) });
      },
  });
}

/** `POST /v1/codec/decode` and `/v1/codec/encode`, declared once for the router and the document. */
export const CODEC_ROUTES = [codecDeclaration('decode'), codecDeclaration('encode')];

/** The router mounted at `/v1/codec`: CORS for the Web UI, the operator key, the rate limit, the JSON body, then the declared routes. */
export function codecRoutes(deps: ApiDeps): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.use(uiCors(deps.config.temporal.uiUrl));
  // `npm start` (development only): its dev server's Web UI has no way to send a key, and the
  // development operator key is public anyway; its calls count as that operator's.
  const uiOrigin = new URL(deps.config.temporal.uiUrl).origin;
  const devOperator = DEV_CLIENTS.find((c) => c.kind === 'operator');
  const auth = authenticate(deps.clients, deps.authFailures);
  router.use((req, res, next) => {
    if (deps.config.env === 'development' && devOperator && !req.get('authorization') && req.get('origin') === uiOrigin) {
      req.client = { id: devOperator.id, name: devOperator.name, kind: devOperator.kind, tier: devOperator.tier, hasWebhook: false };
      return next();
    }
    return auth(req, res, next);
  }, allow('operator'));
  // Per key, as every /v1 route: the operator tier's limit.
  if (deps.rateLimiter) router.use(deps.rateLimiter);
  router.use(
    (req, _res, next) => {
      if (!req.is('application/json')) throw new HttpProblem(415, 'Unsupported media type', 'Send the body as application/json.');
      next();
    },
    express.json({ limit: CODEC_BODY_LIMIT, strict: true, type: () => true }),
  );
  router.use(routerOf(CODEC_ROUTES, { codec: payloadCodec(deps.config) }, { base: '/v1/codec', router: { caseSensitive: true, strict: true } }));
  return router;
}
