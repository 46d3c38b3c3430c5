import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/crm/schema.ts',
  out: './db/crm/migrations',
});
