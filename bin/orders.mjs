#!/usr/bin/env node
// `npx orders <command>`: the operator CLI (src/cli/orders.ts), run through tsx so that no build
// step is needed; see README, "Operator CLI".
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/orders.ts');
