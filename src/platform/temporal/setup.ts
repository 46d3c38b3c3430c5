/**
 * What an order needs of the Temporal server it runs on, in one place: the namespace and every
 * custom search attribute of the order workflow (SEARCH_ATTRIBUTES in its contract) with its type.
 * Used by `npm run temporal:setup`, the start-up of `npm start`, the API and the workers, the
 * dev-server launcher, and `/readyz`. Works on any server (dev server, a cluster on PostgreSQL or
 * Elasticsearch visibility): everything goes through the public WorkflowService/OperatorService.
 */
import { Connection, isGrpcServiceError, type ConnectionLike } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';
import type { TemporalTls } from '../config.js';

const { IndexedValueType, NamespaceState } = proto.temporal.api.enums.v1;
type SearchAttributeTypeName = (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES]['type'];

/** One search attribute an order sets, with the type the server must index it as. */
export interface RequiredSearchAttribute {
  name: string;
  type: SearchAttributeTypeName;
}

/** Every custom search attribute the order workflow sets. */
export const REQUIRED_SEARCH_ATTRIBUTES: readonly RequiredSearchAttribute[] = Object.values(SEARCH_ATTRIBUTES).map((k) => ({ name: k.name, type: k.type }));

/** Retention of closed workflows on a namespace the setup registers (see TEMPORAL_NAMESPACE_RETENTION_DAYS). */
export const DEFAULT_RETENTION_DAYS = 30;

/** gRPC status codes the setup tells apart (@grpc/grpc-js `status`). */
const GRPC = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The gRPC status code of a failed call, looking through the SDK's wrappers. */
export function grpcCode(err: unknown): number | undefined {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** Answers of a server that is still taking a new namespace or attribute into use. */
const SETTLING_CODES = new Set<number>([GRPC.NOT_FOUND, GRPC.UNAVAILABLE]);

/** A problem the setup cannot fix by itself; `message` says what the operator can do. */
export class TemporalSetupError extends Error {}

const indexedTypeName = (code: number | undefined): string => {
  const name = code === undefined ? undefined : IndexedValueType[code];
  return name ? name.replace(/^INDEXED_VALUE_TYPE_/, '') : `unknown (${code})`;
};

/** What a namespace lacks for orders. */
export interface SetupStatus {
  namespace: string;
  /**
   * `unusable`: it exists but is deprecated or being deleted, so it takes no new workflows.
   * `pending`: registered a moment ago, not yet served everywhere in the server.
   */
  namespaceState: 'ok' | 'missing' | 'unusable' | 'pending';
  missing: RequiredSearchAttribute[];
  /** Present under the name but indexed as another type: the workflow's upserts would fail. */
  wrongType: { name: string; expected: SearchAttributeTypeName; actual: string }[];
  /**
   * Whether the server already accepts the attributes in a query (its namespace cache lags an
   * added attribute by a few seconds; a start before that is refused). Only probed when nothing
   * is missing.
   */
  usable: boolean;
}

/** True when an order can start on the namespace. */
export function setupComplete(status: SetupStatus): boolean {
  return status.namespaceState === 'ok' && status.missing.length === 0 && status.wrongType.length === 0 && status.usable;
}

/** For logs and the CLI (names the namespace: not for public answers). */
export function describeSetupStatus(status: SetupStatus): string {
  if (status.namespaceState === 'missing') return `the Temporal namespace "${status.namespace}" does not exist`;
  if (status.namespaceState === 'unusable') return `the Temporal namespace "${status.namespace}" is deprecated or being deleted`;
  if (status.namespaceState === 'pending') return `the Temporal namespace "${status.namespace}" was just registered and is not served yet`;
  const parts: string[] = [];
  if (status.missing.length > 0) {
    parts.push(`lacks the search attribute${status.missing.length > 1 ? 's' : ''} ${status.missing.map((a) => `${a.name} (${a.type})`).join(', ')}`);
  }
  for (const w of status.wrongType) parts.push(`has ${w.name} as ${w.actual}, but orders set it as ${w.expected}`);
  if (parts.length === 0 && !status.usable) parts.push('does not accept its new search attributes in queries yet');
  return parts.length === 0
    ? `the Temporal namespace "${status.namespace}" is set up for orders`
    : `the Temporal namespace "${status.namespace}" ${parts.join('; ')}`;
}

/** The `temporal` CLI commands that do the same as the setup, for an operator without the product's tools. */
export function manualSetupCommands(namespace: string, retentionDays = DEFAULT_RETENTION_DAYS): string[] {
  return [
    `temporal operator namespace create --namespace ${namespace} --retention ${retentionDays * 24}h`,
    ...REQUIRED_SEARCH_ATTRIBUTES.map(
      (a) => `temporal operator search-attribute create --namespace ${namespace} --name ${a.name} --type ${a.type === 'INT' ? 'Int' : 'Keyword'}`,
    ),
  ];
}

/** A visibility query over every required attribute: accepted only once the server maps them all. */
function probeQuery(): string {
  return REQUIRED_SEARCH_ATTRIBUTES.map((a) => (a.type === 'INT' ? `${a.name} = -1` : `${a.name} = '__setup_probe__'`)).join(' AND ');
}

export interface CheckOptions {
  /** Deadline of each call in ms (default 5 s). */
  callTimeoutMs?: number;
}

/**
 * Reads what the namespace lacks for orders; changes nothing. Throws when Temporal does not
 * answer (the caller decides whether that is "unreachable").
 */
export async function checkTemporalSetup(connection: ConnectionLike, namespace: string, options: CheckOptions = {}): Promise<SetupStatus> {
  const timeout = options.callTimeoutMs ?? 5_000;
  const call = <T>(fn: () => Promise<T>) => connection.withDeadline(Date.now() + timeout, fn);
  const status: SetupStatus = { namespace, namespaceState: 'ok', missing: [], wrongType: [], usable: false };
  try {
    const described = await call(() => connection.workflowService.describeNamespace({ namespace }));
    if (described.namespaceInfo?.state !== NamespaceState.NAMESPACE_STATE_REGISTERED) status.namespaceState = 'unusable';
  } catch (err) {
    if (grpcCode(err) !== GRPC.NOT_FOUND) throw err;
    status.namespaceState = 'missing';
  }
  if (status.namespaceState !== 'ok') {
    status.missing = [...REQUIRED_SEARCH_ATTRIBUTES];
    return status;
  }
  let listed;
  try {
    listed = await call(() => connection.operatorService.listSearchAttributes({ namespace }));
  } catch (err) {
    // Described, yet "not found": the server's namespace cache still remembers it as missing.
    if (grpcCode(err) !== GRPC.NOT_FOUND) throw err;
    status.namespaceState = 'pending';
    return status;
  }
  const { customAttributes, systemAttributes } = listed;
  for (const required of REQUIRED_SEARCH_ATTRIBUTES) {
    const code = customAttributes?.[required.name] ?? systemAttributes?.[required.name];
    if (code === undefined || code === null) status.missing.push(required);
    else if (code !== IndexedValueType[`INDEXED_VALUE_TYPE_${required.type}`]) {
      status.wrongType.push({ name: required.name, expected: required.type, actual: indexedTypeName(code) });
    }
  }
  if (status.missing.length === 0 && status.wrongType.length === 0) {
    try {
      await call(() => connection.workflowService.countWorkflowExecutions({ namespace, query: probeQuery() }));
      status.usable = true;
    } catch (err) {
      // INVALID_ARGUMENT: an attribute is not mapped yet. NOT_FOUND: a namespace registered a
      // moment ago is still "not found" in the server's namespace cache (it caches misses too).
      const code = grpcCode(err);
      if (code !== GRPC.INVALID_ARGUMENT && code !== GRPC.NOT_FOUND) throw err;
    }
  }
  return status;
}

export interface SetupOptions {
  /** Retention of closed workflows if the namespace is registered now (days). */
  retentionDays?: number;
  /** Readable progress lines. */
  progress?: (message: string) => void;
  /** How long to wait for the server to take a new namespace or attribute into use (default 60 s). */
  settleTimeoutMs?: number;
  callTimeoutMs?: number;
}

/** What a setup run did. */
export interface SetupReport {
  namespace: string;
  namespaceRegistered: boolean;
  /** Attributes this run added. */
  added: string[];
  /** Attributes that were there already. */
  present: string[];
  /** True when the run changed nothing. */
  noop: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Turns a refusal the operator can act on into a TemporalSetupError; other errors pass. */
function explain(err: unknown, what: string, namespace: string): unknown {
  const code = grpcCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === GRPC.PERMISSION_DENIED || code === GRPC.UNAUTHENTICATED) {
    return new TemporalSetupError(
      `Temporal refused to ${what} (${message}). The credentials of this process may not change namespace "${namespace}": ` +
        "run `npm run temporal:setup` with an administrator's credentials, or ask the cluster's administrator to run:\n  " +
        manualSetupCommands(namespace).join('\n  '),
    );
  }
  if (code === GRPC.INVALID_ARGUMENT) {
    return new TemporalSetupError(`Temporal refused to ${what}: ${message}`);
  }
  return err;
}

/**
 * Makes the namespace ready for orders, idempotently: registers it if missing, waits until the
 * server serves it, adds every missing search attribute with its type, and waits until the
 * server accepts them. A run on a namespace that is set up changes nothing.
 */
export async function ensureTemporalSetup(connection: ConnectionLike, namespace: string, options: SetupOptions = {}): Promise<SetupReport> {
  const progress = options.progress ?? (() => {});
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const settleDeadline = () => Date.now() + (options.settleTimeoutMs ?? 60_000);
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const check = () => checkTemporalSetup(connection, namespace, { callTimeoutMs });
  /** A check while the server takes a change into use: lagging caches answer NOT_FOUND or UNAVAILABLE for a moment. */
  const settling = async (deadline: number): Promise<SetupStatus | undefined> => {
    try {
      return await check();
    } catch (err) {
      if (!SETTLING_CODES.has(grpcCode(err) ?? -1) || Date.now() > deadline) throw err;
      return undefined;
    }
  };
  const call = <T>(fn: () => Promise<T>) => connection.withDeadline(Date.now() + callTimeoutMs, fn);
  const report: SetupReport = { namespace, namespaceRegistered: false, added: [], present: [], noop: true };

  let status = await check();
  if (status.namespaceState === 'unusable') {
    throw new TemporalSetupError(`${describeSetupStatus(status)}: it takes no new orders. Point TEMPORAL_NAMESPACE at another namespace.`);
  }
  if (status.namespaceState === 'missing') {
    progress(`Registering namespace "${namespace}" (retention of closed orders: ${retentionDays} days)…`);
    try {
      await call(() =>
        connection.workflowService.registerNamespace({
          namespace,
          description: 'Order pipeline: one workflow per order',
          workflowExecutionRetentionPeriod: msToTs(retentionDays * 86_400_000),
        }),
      );
      report.namespaceRegistered = true;
    } catch (err) {
      // Another process registered it meanwhile: fine.
      if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw explain(err, `register namespace "${namespace}"`, namespace);
    }
  }
  for (const deadline = settleDeadline(); status.namespaceState !== 'ok'; await sleep(500)) {
    if (Date.now() > deadline)
      throw new TemporalSetupError(`Namespace "${namespace}" is registered, but the server does not serve it yet; run the setup again in a minute.`);
    status = (await settling(deadline)) ?? status;
    if (status.namespaceState === 'unusable') throw new TemporalSetupError(`${describeSetupStatus(status)}.`);
  }
  if (status.wrongType.length > 0) {
    throw new TemporalSetupError(
      `${describeSetupStatus(status)}. A search attribute's type cannot be changed in place: use another TEMPORAL_NAMESPACE, ` +
        'or remove the attribute (`temporal operator search-attribute remove`) if nothing else uses it, then run the setup again.',
    );
  }
  // Several processes may add at once: the loser of a race gets ALREADY_EXISTS or UNAVAILABLE
  // ("mapping unavailable"); right after the namespace was registered the server may still
  // answer NOT_FOUND. List again and add what is still missing.
  const addDeadline = settleDeadline();
  let told = '';
  for (let attempt = 1; status.missing.length > 0; attempt++) {
    const missing = status.missing;
    const names = missing.map((a) => `${a.name} (${a.type})`).join(', ');
    if (names !== told) progress(`Adding search attribute${missing.length > 1 ? 's' : ''} ${names} to namespace "${namespace}"…`);
    told = names;
    try {
      await call(() =>
        connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((a) => [a.name, IndexedValueType[`INDEXED_VALUE_TYPE_${a.type}`]])),
        }),
      );
      for (const a of missing) if (!report.added.includes(a.name)) report.added.push(a.name);
    } catch (err) {
      const code = grpcCode(err);
      if (Date.now() > addDeadline || (code !== GRPC.ALREADY_EXISTS && !SETTLING_CODES.has(code ?? -1))) {
        throw explain(err, `add search attributes to namespace "${namespace}"`, namespace);
      }
      await sleep(Math.min(500 * attempt, 3_000));
    }
    status = (await settling(addDeadline)) ?? status;
    if (status.wrongType.length > 0) throw new TemporalSetupError(`${describeSetupStatus(status)}.`);
  }
  report.present = REQUIRED_SEARCH_ATTRIBUTES.map((a) => a.name).filter((n) => !report.added.includes(n));

  if (!status.usable) {
    progress('Waiting until the server accepts the new search attributes…');
    for (const deadline = settleDeadline(); !status.usable; await sleep(500)) {
      if (Date.now() > deadline) {
        throw new TemporalSetupError(`${describeSetupStatus(status)} (the attributes are registered); run the setup again in a minute.`);
      }
      status = (await settling(deadline)) ?? status;
    }
  }
  report.noop = !report.namespaceRegistered && report.added.length === 0;
  return report;
}

/** One line about a setup run, for the CLI and the start-up output. */
export function describeSetupReport(report: SetupReport): string {
  if (report.noop) return `Namespace "${report.namespace}" is set up for orders (all ${report.present.length} search attributes present); nothing to do.`;
  const done: string[] = [];
  if (report.namespaceRegistered) done.push('registered the namespace');
  if (report.added.length > 0) done.push(`added ${report.added.join(', ')}`);
  return `Namespace "${report.namespace}" is set up for orders: ${done.join(', ')}${report.present.length > 0 ? ` (already present: ${report.present.join(', ')})` : ''}.`;
}

/**
 * Readiness of the namespace for `/readyz`: checks on demand, shares one check between
 * concurrent probes, and remembers a positive answer for `cacheMs` so probes do not describe the
 * namespace every time. A negative answer is checked again on the next probe, so readiness
 * follows a setup run at once.
 */
export function createSetupProbe(connection: ConnectionLike, namespace: string, options: { cacheMs?: number; callTimeoutMs?: number } = {}) {
  const cacheMs = options.cacheMs ?? 30_000;
  let okUntil = 0;
  let inFlight: Promise<SetupStatus> | undefined;
  return async function probe(): Promise<SetupStatus> {
    if (Date.now() < okUntil) return { namespace, namespaceState: 'ok', missing: [], wrongType: [], usable: true };
    inFlight ??= checkTemporalSetup(connection, namespace, { callTimeoutMs: options.callTimeoutMs ?? 2_000 })
      .then((status) => {
        if (setupComplete(status)) okUntil = Date.now() + cacheMs;
        return status;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/** What the start-up of a process found or did about the namespace. */
export interface StartupSetupOutcome {
  /** True when orders can start on the namespace. */
  ready: boolean;
  /** One readable line (names the namespace: logs and terminal only). */
  message: string;
  report?: SetupReport;
}

/**
 * The start-up step of `npm start`, the API and the workers: with `auto` sets the namespace up
 * (see ensureTemporalSetup), with `check` only looks. Never throws for a namespace that is not
 * set up: the process runs on and `/readyz` says "not ready" until it is.
 */
export async function startupSetup(
  connection: ConnectionLike,
  options: { namespace: string; mode: 'auto' | 'check'; retentionDays: number; progress?: (message: string) => void },
): Promise<StartupSetupOutcome> {
  const { namespace, mode } = options;
  if (mode === 'check') {
    const status = await checkTemporalSetup(connection, namespace);
    if (setupComplete(status)) return { ready: true, message: describeSetupStatus(status) };
    return {
      ready: false,
      message:
        `${describeSetupStatus(status)}, so orders cannot start. TEMPORAL_SETUP=check (the default with NODE_ENV=production) ` +
        'leaves the server as it is: run `npm run temporal:setup` against it once (or start with TEMPORAL_SETUP=auto). /readyz answers 503 until then.',
    };
  }
  try {
    const report = await ensureTemporalSetup(connection, namespace, {
      retentionDays: options.retentionDays,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    return { ready: true, message: describeSetupReport(report), report };
  } catch (err) {
    if (!(err instanceof TemporalSetupError)) throw err;
    return { ready: false, message: `${err.message}\nOrders cannot start until this is fixed; /readyz answers 503 until then.` };
  }
}

/** startupSetup over a connection of its own to `address` (throws when Temporal cannot be reached). */
export async function startupSetupAt(
  target: { address: string; tls?: TemporalTls },
  options: Parameters<typeof startupSetup>[1] & { connectTimeoutMs?: number },
): Promise<StartupSetupOutcome> {
  const connection = await Connection.connect({ ...target, connectTimeout: options.connectTimeoutMs ?? 5_000 });
  try {
    return await startupSetup(connection, options);
  } finally {
    await connection.close();
  }
}
