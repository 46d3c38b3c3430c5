/**
 * Where partner webhooks may go. A partner names the URL, the pipeline's own network sends to
 * it: without a check, a partner could make the pipeline POST to its loopback, the cloud's
 * metadata service (169.254.169.254) or any private host. So a target must be a public address:
 * checked when the client is registered (IP literals, and what the host name resolves to then)
 * and again at every delivery, on the addresses the connection is really made to (the lookup of
 * the request itself), so a name that resolves differently later (DNS rebinding) is still
 * refused. Redirects are never followed. WEBHOOK_ALLOW_PRIVATE_TARGETS=true lifts the check
 * (tests, closed networks).
 *
 * The ranges are Node's own `net.BlockList`, which also matches IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) against the IPv4 ranges.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Address ranges no webhook may reach, with why (IANA special-purpose registries). */
const BLOCKED: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.88.99.0', 24, 'ipv4', '6to4 relay'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64 (reaches IPv4 addresses)'],
  ['64:ff9b:1::', 48, 'ipv6', 'local NAT64'],
  ['100::', 64, 'ipv6', 'discard'],
  ['2001::', 23, 'ipv6', 'IETF protocol assignments'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['2002::', 16, 'ipv6', '6to4 (reaches IPv4 addresses)'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const lists = BLOCKED.map(([network, prefix, type, why]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, type);
  return { list, why };
});

/** Why `address` (an IP literal) may not be a webhook target, or undefined when it is public. */
export function blockedAddress(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return lists.find((l) => l.list.check(bare, type))?.why;
}

/** A target the policy refuses; the message names the address and the setting that allows it. */
export class WebhookTargetError extends Error {}

const refusal = (host: string, address: string, why: string) =>
  new WebhookTargetError(
    `webhook host ${host} is ${address === host ? '' : `resolved to ${address}, `}a ${why} address; webhooks go to public addresses only (an operator can allow others with WEBHOOK_ALLOW_PRIVATE_TARGETS=true)`,
  );

/** Resolves `host` and refuses it when any of its addresses is not public. */
async function resolvePublic(host: string): Promise<LookupAddress[]> {
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, found) => (err ? reject(err) : resolve(found))),
  );
  for (const a of addresses) {
    const why = blockedAddress(a.address);
    if (why) throw refusal(host, a.address, why);
  }
  return addresses;
}

/**
 * Checks a webhook URL when a client is registered: an http(s) URL without credentials whose
 * host is a public IP literal, or a name that does not resolve to a non-public address now.
 * A name that does not resolve yet is accepted (every delivery checks again).
 */
export async function checkWebhookTarget(url: URL, options: { allowPrivate: boolean }): Promise<void> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookTargetError(`webhook URL ${url.href} must use https (or http)`);
  if (url.username || url.password) throw new WebhookTargetError('a webhook URL carries no user name or password; the signature authenticates the pipeline');
  if (options.allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = blockedAddress(host);
    if (why) throw refusal(host, host, why);
    return;
  }
  try {
    await resolvePublic(host);
  } catch (err) {
    if (err instanceof WebhookTargetError) throw err;
  }
}

/** The lookup of a delivery's connection: only public addresses (when private ones are not allowed). */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  resolvePublic(hostname).then(
    (addresses) => {
      const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
      if (wanted.length === 0) {
        callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 4);
      } else if (options.all) {
        (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, wanted);
      } else {
        callback(null, wanted[0]!.address, wanted[0]!.family);
      }
    },
    (err: NodeJS.ErrnoException) => callback(err, '', 4),
  );
};

/** The answer of a webhook POST (its body is discarded). */
export interface WebhookAnswer {
  status: number;
}

/**
 * POSTs `body` to `url` without following redirects; the connection goes only to public
 * addresses unless `allowPrivate`. Rejects with WebhookTargetError for a refused target, with
 * the network error otherwise.
 */
export async function postWebhook(
  url: URL,
  init: { headers: Record<string, string>; body: string; timeoutMs: number; allowPrivate: boolean },
): Promise<WebhookAnswer> {
  await checkWebhookTarget(url, { allowPrivate: true }); // protocol and credentials; addresses below
  if (!init.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup: check it here.
    if (isIP(host)) {
      const why = blockedAddress(host);
      if (why) throw refusal(host, host, why);
    }
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookAnswer>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        signal: AbortSignal.timeout(init.timeoutMs),
        ...(init.allowPrivate ? {} : { lookup: publicLookup }),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
