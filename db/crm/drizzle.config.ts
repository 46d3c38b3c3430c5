import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/crm/schema.ts',
  out: './db/crm/migrations',
});
