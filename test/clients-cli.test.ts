/** `npm run clients`: the key management CLI as a child process, its keys used over real HTTP. */
import { execFile } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { apiClients } from '../src/order/schema.js';
import { hashKey } from '../src/api/clients.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { testConfig, testEnv } from './support/pipeline.js';

const log = createLogger('silent');
const UNKNOWN_ORDER = '/v1/orders/00000000-0000-4000-8000-000000000000';
let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;

beforeAll(async () => {
  dbs = await openDatabases(testConfig(), ['shop']);
});
afterAll(async () => {
  await dbs?.close();
});

/** Runs `npm run clients -- <args>` the way npm does, with the test environment. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/api/clients-cli.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...testEnv() }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function getUnknownOrder(api: RunningApi, key: string): Promise<number> {
  const res = await fetch(`${api.url}${UNKNOWN_ORDER}`, { headers: { authorization: `Bearer ${key}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('clients CLI', () => {
  it('prints its help with the commands, the tiers and the revocation delay', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    for (const text of ['create', 'revoke <client-id>', 'list', '--webhook-url', 'trial', '60000', 'up to 30 s']) expect(stdout).toContain(text);
  });

  it('creates a partner key that works, lists it without the key, revokes it so a fresh API refuses it', async () => {
    const name = `CLI Partner ${Date.now()}`;
    const created = await cli('create', '--name', name, '--kind', 'partner', '--partner', 'cli-test', '--tier', 'premium', '--json');
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out.key).toMatch(/^op_test_[A-Za-z0-9_-]{43}$/);
    expect(out.webhookSecret).toBeUndefined();
    expect(out.client).toMatchObject({ name, kind: 'partner', partnerId: 'cli-test', tier: 'premium', revokedAt: null });
    expect(out.client.id).toMatch(/^partner-cli-test-[0-9a-f]{6}$/);
    expect(out.client).not.toHaveProperty('keyHash');

    // Stored as its hash only.
    const [row] = await dbs.shop.db.select().from(apiClients).where(eq(apiClients.id, out.client.id));
    expect(row?.keyHash).toBe(hashKey(out.key));
    expect(JSON.stringify(row)).not.toContain(out.key);

    const api = await startApi({ config: testConfig(), log, shop: dbs.shop });
    try {
      // 404 (not 401): the key authenticates.
      expect(await getUnknownOrder(api, out.key)).toBe(404);
    } finally {
      await api.close();
    }

    const listed = await cli('list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(out.client.id);
    expect(listed.stdout).toContain(name);
    expect(listed.stdout).not.toContain(out.key);
    const listedJson = await cli('list', '--json');
    expect(listedJson.code, listedJson.stderr).toBe(0);
    const entry = JSON.parse(listedJson.stdout).find((c: any) => c.id === out.client.id);
    expect(entry).toMatchObject({ name, kind: 'partner', tier: 'premium', revokedAt: null });
    expect(Object.keys(entry)).not.toContain('keyHash');
    expect(Object.keys(entry)).not.toContain('webhookSecret');

    const revoked = await cli('revoke', out.client.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked client ${out.client.id}`);
    expect(revoked.stdout).toContain('30 s');
    const [after] = await dbs.shop.db.select().from(apiClients).where(eq(apiClients.id, out.client.id));
    expect(after?.revokedAt).toBeInstanceOf(Date);

    // A fresh API instance (no cached lookup) refuses the key.
    const fresh = await startApi({ config: testConfig(), log, shop: dbs.shop });
    try {
      expect(await getUnknownOrder(fresh, out.key)).toBe(401);
    } finally {
      await fresh.close();
    }

    const again = await cli('revoke', out.client.id);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('revoked already');
    const listedAfter = await cli('list');
    expect(listedAfter.stdout).toMatch(new RegExp(`${out.client.id}.*revoked `));
  });

  it('generates a webhook secret when a webhook URL is given and prints key and secret once', async () => {
    const created = await cli('create', '--name', 'Hooked shop', '--kind', 'shop', '--webhook-url', 'https://hooks.example/orders');
    expect(created.code, created.stderr).toBe(0);
    const key = /API key:\s+(op_test_\S+)/.exec(created.stdout)?.[1];
    const secret = /Webhook secret:\s+(whsec_\S+)/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(secret).toBeDefined();
    const [row] = await dbs.shop.db
      .select()
      .from(apiClients)
      .where(eq(apiClients.keyHash, hashKey(key!)));
    expect(row).toMatchObject({ kind: 'shop', tier: 'shop', webhookUrl: 'https://hooks.example/orders', webhookSecret: secret });
    const listed = await cli('list');
    expect(listed.stdout).toContain('https://hooks.example/orders');
    expect(listed.stdout).not.toContain(secret!);
  });

  const bad: [string, string[], RegExp][] = [
    ['no command', [], /Name a command: create, revoke or list/],
    ['unknown command', ['delete', 'x'], /Unknown command "delete"; use create, revoke or list/],
    ['unknown flag', ['create', '--name', 'x', '--kind', 'shop', '--colour', 'red'], /Unknown flag --colour for "create"; its flags are --name/],
    ['missing name', ['create', '--kind', 'shop'], /create needs --name/],
    ['unknown kind', ['create', '--name', 'x', '--kind', 'robot'], /Unknown kind "robot"; use one of shop, partner, operator/],
    ['partner without partner id', ['create', '--name', 'x', '--kind', 'partner'], /needs the partner id .* --partner <id>/],
    ['partner id on a shop key', ['create', '--name', 'x', '--kind', 'shop', '--partner', 'acme'], /drop --partner/],
    ['unknown tier', ['create', '--name', 'x', '--kind', 'shop', '--tier', 'gold'], /Unknown tier "gold"; use one of shop, premium, standard, trial, internal/],
    ['bad webhook URL', ['create', '--name', 'x', '--kind', 'shop', '--webhook-url', 'ftp://x.example'], /must use https/],
    ['revoke without id', ['revoke'], /revoke takes exactly one client id/],
    ['revoke of an unknown id', ['revoke', 'no-such-client'], /No client with id "no-such-client"; run 'npm run clients -- list'/],
    ['list with an argument', ['list', 'all'], /"list" takes no arguments/],
  ];
  it.each(bad)('%s: exit code 2 and a message saying what to do', async (_name, args, message) => {
    const before = await dbs.shop.db.$count(apiClients);
    const { code, stdout, stderr } = await cli(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain(`npm run clients -- --help`);
    expect(stdout).toBe('');
    expect(await dbs.shop.db.$count(apiClients)).toBe(before);
  });
});
