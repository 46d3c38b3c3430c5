import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/mes/schema.ts',
  out: './db/mes/migrations',
});
