import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/carrier/schema.ts',
  out: './db/carrier/migrations',
});
