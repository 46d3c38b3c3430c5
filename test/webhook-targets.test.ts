/**
 * Registering a partner webhook: only public targets, checked on the URL's IP literal and on
 * what its host name resolves to, unless WEBHOOK_ALLOW_PRIVATE_TARGETS allows others. Through
 * the clients module on the real shop database and through `npm run clients` as a child process.
 */
import { execFile } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { apiClients } from '../src/order/schema.js';
import { ClientInputError, createClient } from '../src/api/clients.js';
import { blockedAddress } from '../src/webhooks/target.js';
import { testConfig, testEnv } from './support/pipeline.js';

let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;
beforeAll(async () => {
  dbs = await openDatabases(testConfig(), ['shop']);
});
afterAll(() => dbs?.close());

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/api/clients-cli.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...testEnv(env) }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('webhook targets', () => {
  it('classifies loopback, link-local, private, unspecified and similar addresses as not public', () => {
    const blocked = [
      '127.0.0.1',
      '127.255.0.9',
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'febf::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '[::1]',
      'fe80::1%eth0',
    ];
    const open = ['93.184.215.14', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'];
    expect(blocked.filter((a) => blockedAddress(a) === undefined)).toEqual([]);
    expect(open.filter((a) => blockedAddress(a) !== undefined)).toEqual([]);
    expect(blockedAddress('169.254.169.254')).toBe('link-local');
  });

  it('refuses a non-public webhook URL at registration, and accepts it when private targets are allowed', async () => {
    const refused = [
      'http://127.0.0.1:8080/hooks',
      'http://localhost/hooks',
      'http://[::1]/hooks',
      'http://169.254.169.254/latest/meta-data/',
      'https://10.0.0.5/hooks',
      'http://0.0.0.0/',
      'http://[fd00::1]/',
    ];
    for (const webhookUrl of refused) {
      const name = `Private ${webhookUrl}`;
      await expect(createClient(dbs.shop.db, { name, kind: 'partner', partnerId: 'private', webhookUrl }), webhookUrl).rejects.toThrow(ClientInputError);
      expect(await dbs.shop.db.select().from(apiClients).where(eq(apiClients.name, name))).toEqual([]);
    }
    await expect(createClient(dbs.shop.db, { name: 'Creds', kind: 'partner', partnerId: 'p', webhookUrl: 'https://user:pw@hooks.example/x' })).rejects.toThrow(
      /user name or password/,
    );
    // Public literal, and a name that does not resolve (yet): accepted; every delivery checks again.
    await expect(
      createClient(dbs.shop.db, { name: 'Public', kind: 'partner', partnerId: 'p', webhookUrl: 'https://93.184.215.14/hooks' }),
    ).resolves.toBeDefined();
    await expect(
      createClient(dbs.shop.db, { name: 'Later', kind: 'partner', partnerId: 'p', webhookUrl: 'https://hooks.example/orders' }),
    ).resolves.toBeDefined();
    const allowed = await createClient(dbs.shop.db, {
      name: 'Closed network',
      kind: 'partner',
      partnerId: 'p',
      webhookUrl: 'http://localhost:9000/hooks',
      allowPrivateWebhookTargets: true,
    });
    expect(allowed.client.webhookUrl).toBe('http://localhost:9000/hooks');
  });

  it('npm run clients refuses the metadata service as a webhook (exit 2) unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true', async () => {
    const args = [
      'create',
      '--name',
      'Metadata grabber',
      '--kind',
      'partner',
      '--partner',
      'grabber',
      '--webhook-url',
      'http://169.254.169.254/latest/meta-data/',
      '--json',
    ];
    const refused = await cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('link-local');
    expect(refused.stderr).toContain('WEBHOOK_ALLOW_PRIVATE_TARGETS');
    const allowed = await cli(args, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout).client.webhookUrl).toBe('http://169.254.169.254/latest/meta-data/');
  });
});
