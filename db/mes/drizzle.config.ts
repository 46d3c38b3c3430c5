import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/mes/schema.ts',
  out: './db/mes/migrations',
});
