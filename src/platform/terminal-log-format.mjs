/**
 * The readable terminal format of `npm start` (see useReadableLogsOnTerminal in logger.ts): one
 * line per log entry — time, level, `[component]`, an HTTP access line as method, path, status
 * and duration, the message, then an error's type, message and where it was thrown. pino-pretty
 * alone prints an error (`err`, or `error` as the Temporal SDK names it) as a block of lines,
 * and a message with line breaks over several lines.
 *
 * Plain JavaScript on purpose: pino runs it as a transport in a worker thread, which starts
 * without the TypeScript loader of the main thread; and the format's functions cannot be handed
 * to that thread as options.
 */
import pretty from 'pino-pretty';

/** Fields shown by the message format, or of no use in a terminal. The trace id stays (to find the trace). */
const IGNORED = 'pid,hostname,name,component,span_id,trace_flags,req,res,responseTime,err,error';

/** `text` on one line: line breaks (and the indentation after them) become ` | `. */
function oneLine(text) {
  return String(text)
    .replace(/\s*[\r\n]+\s*/g, ' | ')
    .trim();
}

/** An error of a log entry in a few words: `Type: message (at first stack frame)`. */
function describeError(error) {
  if (error === undefined || error === null || error === '') return undefined;
  if (typeof error !== 'object') return oneLine(error);
  const type = typeof error.type === 'string' && error.type !== 'Error' ? `${error.type}: ` : '';
  const message = typeof error.message === 'string' && error.message !== '' ? error.message : JSON.stringify(error);
  const frame = typeof error.stack === 'string' ? /^\s*at .+$/m.exec(error.stack)?.[0].trim() : undefined;
  return oneLine(`${type}${message}${frame ? ` (${frame})` : ''}`);
}

/** The message part of a line (what follows time and level). */
export function formatMessage(log, messageKey = 'msg') {
  const parts = [];
  if (log.component) parts.push(`[${log.component}]`);
  if (log.req) parts.push(`${log.req.method} ${log.req.url} ${log.res?.statusCode ?? '-'} ${log.responseTime ?? '-'} ms`);
  if (log[messageKey] !== undefined) parts.push(oneLine(log[messageKey]));
  const error = describeError(log.err) ?? describeError(log.error);
  if (error) parts.push(`— ${error}`);
  return parts.join(' ');
}

/** pino-pretty's options for this format. */
export function terminalFormatOptions(options = {}) {
  return {
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: IGNORED,
    messageFormat: (log, messageKey) => formatMessage(log, messageKey),
    ...options,
  };
}

/** Transport entry (pino.transport({ target: this file, options: { destination: 1 } })). */
export default function terminalLogFormat(options = {}) {
  return pretty(terminalFormatOptions(options));
}
