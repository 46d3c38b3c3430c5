import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/pricing/schema.ts',
  out: './db/pricing/migrations',
});
