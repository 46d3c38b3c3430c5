import type PinoPretty from 'pino-pretty';

type PrettyOptions = PinoPretty.PrettyOptions;

/** The message part of a terminal log line (what follows time and level). */
export function formatMessage(log: Record<string, unknown>, messageKey?: string): string;
/** pino-pretty's options of the terminal format, with `options` on top. */
export function terminalFormatOptions(options?: PrettyOptions): PrettyOptions;
/** pino-pretty stream of the terminal format (the transport entry). */
export default function terminalLogFormat(options?: PrettyOptions): PinoPretty.PrettyStream;
