/** Where tests keep their files (git-ignored). */
export const TEST_DATA_DIR = `.data/test/${process.env.TEST_TEMPORAL_PORT ?? 7299}`;
/** Port of the tests' own Temporal dev server, away from a running `npm start` on 7233. */
export const TEST_TEMPORAL_PORT = Number(process.env.TEST_TEMPORAL_PORT ?? 7299);

/**
 * Test databases on the local PostgreSQL (TEST_DATABASE_URL names the server; default the
 * local trust-auth one). They are dropped and recreated at every run.
 */
export function testDatabaseUrls(): Record<'shop' | 'crm' | 'mes' | 'carrier' | 'pricing', string> {
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const at = (name: string) => {
    const u = new URL(base);
    u.pathname = `/${name}`;
    return u.toString();
  };
  // TEST_DB_PREFIX lets two test runs on one machine keep apart (each with its own TEST_TEMPORAL_PORT).
  const prefix = process.env.TEST_DB_PREFIX ?? 'orders_test';
  return {
    shop: at(`${prefix}_shop`),
    crm: at(`${prefix}_crm`),
    mes: at(`${prefix}_mes`),
    carrier: at(`${prefix}_carrier`),
    pricing: at(`${prefix}_pricing`),
  };
}
