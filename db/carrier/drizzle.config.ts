import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/carrier/schema.ts',
  out: './db/carrier/migrations',
});
