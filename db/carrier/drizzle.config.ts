import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/shipping/schema.ts',
  out: './db/carrier/migrations',
});
