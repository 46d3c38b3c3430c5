import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/order/schema.ts',
  out: './db/shop/migrations',
});
