/** A small HTTP client for the API tests: JSON in, status/headers/JSON out. */
export interface Answer {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

export interface CallOptions {
  /** API key, sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is instead of `body` (text, or bytes such as a gzip stream). */
  raw?: string | Buffer;
  /** Content-Type of a body (default `application/json`); `null` sends none. */
  type?: string | null;
  /** Base URL instead of the client's, e.g. another API instance. */
  base?: string;
  headers?: Record<string, string>;
}

export type HttpCall = (method: string, path: string, options?: CallOptions) => Promise<Answer>;

export function httpClient(baseUrl: () => string): HttpCall {
  return async function call(method, path, options = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined && options.type !== null) headers['content-type'] = options.type ?? 'application/json';
    const res = await fetch(`${options.base ?? baseUrl()}${path}`, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}
