/**
 * The lint rule for workflow code (eslint.config.js): the workflow bundle may not load a Node
 * built-in, an activity module, a database schema or an embedded system; importing their types
 * stays allowed. It covers every slice's workflow code, and not the unit tests beside it.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const RULE = '@typescript-eslint/no-restricted-imports';
const eslint = new ESLint();

/** Files of the workflow bundle, one per kind of place workflow code lives in. */
const WORKFLOW_FILES = ['src/order/workflow/x.ts', 'src/webhooks/workflow.ts', 'src/pricing/quote-workflow.ts', 'src/workflows/x.ts', 'src/crm/contract.ts'];

async function restricted(code: string, filePath = 'src/order/workflow/x.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('workflow lint rule', () => {
  it.each(WORKFLOW_FILES)('rejects a Node built-in in workflow code (%s)', async (file) => {
    expect(await restricted("import { readFileSync } from 'node:fs';\nexport const read = () => readFileSync('x');\n", file)).toHaveLength(1);
    expect(await restricted("import { randomUUID } from 'crypto';\nexport const id = () => randomUUID();\n", file)).toHaveLength(1);
  });

  it.each(WORKFLOW_FILES)('rejects a value import of an activity module (%s)', async (file) => {
    const messages = await restricted("import { createCrmActivities } from '../../crm/activities.js';\nexport const crm = createCrmActivities;\n", file);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/import type/);
  });

  it('rejects a value import of a schema or an embedded system', async () => {
    expect(await restricted("import { orders } from '../schema.js';\nexport const t = orders;\n")).toHaveLength(1);
    expect(await restricted("import { createEmbeddedMes } from '../../mes/system.js';\nexport const m = createEmbeddedMes;\n")).toHaveLength(1);
  });

  it('allows a type import of an activity module', async () => {
    expect(await restricted("import type { CrmActivities } from '../../crm/activities.js';\nexport type Crm = CrmActivities;\n")).toEqual([]);
  });

  it('leaves the unit tests beside workflow code alone', async () => {
    expect(
      await restricted("import { readFileSync } from 'node:fs';\nexport const read = () => readFileSync('x');\n", 'src/order/workflow/priority.test.ts'),
    ).toEqual([]);
  });
});
