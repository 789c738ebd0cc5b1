import { createHash, createHmac } from 'node:crypto';

/** Builds a Pusher-signed API URL path+query, as the server SDKs do. */
export function signedPath(method: string, path: string, body: string, opts: { key?: string; secret?: string; timestamp?: number; extra?: Record<string, string> } = {}): string {
  const params: Record<string, string> = {
    auth_key: opts.key ?? 'app-key',
    auth_timestamp: String(opts.timestamp ?? Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    ...opts.extra,
  };
  if (body.length > 0) params['body_md5'] = createHash('md5').update(body).digest('hex');
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', opts.secret ?? 'app-secret').update(`${method}\n${path}\n${query}`).digest('hex');
  const encoded = Object.keys(params)
    .sort()
    .map((k) => `${k}=${encodeURIComponent(params[k] as string)}`)
    .join('&');
  return `${path}?${encoded}&auth_signature=${signature}`;
}

export function channelAuth(socketId: string, channel: string, channelData?: string, secret = 'app-secret', key = 'app-key'): string {
  const signed = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${key}:${createHmac('sha256', secret).update(signed).digest('hex')}`;
}

/** The `auth` of a `pusher:signin` for `userData` (a JSON string), as an app's sign-in endpoint makes it. */
export function signinAuth(socketId: string, userData: string, secret = 'app-secret', key = 'app-key'): string {
  return `${key}:${createHmac('sha256', secret).update(`${socketId}::user::${userData}`).digest('hex')}`;
}

export async function api(port: number, method: 'GET' | 'POST', path: string, body?: unknown, opts: Parameters<typeof signedPath>[3] = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`http://127.0.0.1:${port}${signedPath(method, path, text, opts)}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: text } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
