import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/shop/schema.ts',
  out: './db/shop/migrations',
});
