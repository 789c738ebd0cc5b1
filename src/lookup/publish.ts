// Streams lookup results into a Switchboard (or any Pusher-compatible) channel through the HTTP events API,
// signed the way Pusher signs server requests, so a browser page can show results as they arrive.
import { createHash, createHmac } from 'node:crypto';

export interface PublishTarget {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:6001`. */
  apiUrl: string;
  appId: string;
  key: string;
  secret: string;
  channel: string;
}

/**
 * Signs a request per the Pusher HTTP API: `auth_signature` = hex HMAC-SHA256(secret,
 * "METHOD\nPATH\nQUERY") where QUERY is every other parameter, sorted by name, as `k=v` joined by `&`.
 * Returns the full query string to append (signature last).
 */
export function signRequest(method: string, path: string, params: Record<string, string>, secret: string): string {
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', secret).update(`${method}\n${path}\n${query}`).digest('hex');
  return `${query}&auth_signature=${signature}`;
}

/** POSTs one event; resolves when the server answered 2xx, rejects with the status otherwise. */
export async function publishEvent(target: PublishTarget, name: string, data: string, signal?: AbortSignal, now = Date.now()): Promise<void> {
  const path = `/apps/${encodeURIComponent(target.appId)}/events`;
  const body = JSON.stringify({ name, channel: target.channel, data });
  const query = signRequest(
    'POST',
    path,
    {
      auth_key: target.key,
      auth_timestamp: String(Math.floor(now / 1000)),
      auth_version: '1.0',
      body_md5: createHash('md5').update(body).digest('hex'),
    },
    target.secret,
  );
  const url = `${target.apiUrl.replace(/\/+$/, '')}${path}?${query}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
  });
  // Drain the body so the connection can be reused; its content is only useful for the error message.
  const text = await res.text();
  if (!res.ok) throw new Error(`publish failed: HTTP ${res.status} ${text.slice(0, 200)}`);
}
