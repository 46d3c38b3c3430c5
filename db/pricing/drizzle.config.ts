import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pricing/schema.ts',
  out: './db/pricing/migrations',
});
