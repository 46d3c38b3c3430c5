/**
 * The lint rule for workflow code (eslint.config.js): the workflow bundle may not load a Node
 * built-in or an activity module; importing an activity's types stays allowed.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const RULE = '@typescript-eslint/no-restricted-imports';
const eslint = new ESLint();

async function restricted(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: 'src/workflows/order/x.ts' });
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('workflow lint rule', () => {
  it('rejects a Node built-in in workflow code', async () => {
    expect(await restricted("import { readFileSync } from 'node:fs';\nexport const read = () => readFileSync('x');\n")).toHaveLength(1);
    expect(await restricted("import { randomUUID } from 'crypto';\nexport const id = () => randomUUID();\n")).toHaveLength(1);
  });

  it('rejects a value import of an activity module', async () => {
    const messages = await restricted("import { createCrmActivities } from '../../activities/crm.js';\nexport const crm = createCrmActivities;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/import type/);
  });

  it('allows a type import of an activity module', async () => {
    expect(await restricted("import type { CrmActivities } from '../../activities/crm.js';\nexport type Crm = CrmActivities;\n")).toEqual([]);
  });
});
