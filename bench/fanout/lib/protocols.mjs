// What differs between the servers under test: the WebSocket path, how a connection becomes "connected"
// and "subscribed", the keep-alive each one expects, and how a publisher asks it to publish.
//
// Every published event carries the same data string, `@@<publish time in µs>@@xxxx…`: the marker lets
// the load generator spot a delivery and read its timestamp without parsing JSON (the frame wrapping it
// differs per server: Pusher `{"event":…,"data":"@@…"}`, socket.io `42["bench","@@…"]`, plain ws JSON).

import crypto from 'node:crypto';

export const APP_ID = 'app-id';
export const APP_KEY = 'app-key';
export const APP_SECRET = 'app-secret';
export const EVENT_NAME = 'bench';

function has(buf, start, end, needle) {
  const at = buf.indexOf(needle, start, 'latin1');
  return at !== -1 && at + needle.length <= end;
}

/**
 * Client side of each protocol. Callbacks get the RawWs connection; `conn.state` holds
 * { channel, connected, subscribed, error } and `ctx` is the load process (notified on progress).
 */
const pusherClient = {
  path: () => `/app/${APP_KEY}?protocol=7&client=js&version=8.6.0&flash=false`,
  onOpen() {},
  subscribe(conn) {
    conn.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: conn.state.channel, auth: '' } }));
  },
  onControl(conn, buf, start, end, ctx) {
    if (has(buf, start, end, 'pusher:connection_established')) ctx.connected(conn);
    else if (has(buf, start, end, 'subscription_succeeded')) ctx.subscribed(conn);
    else if (has(buf, start, end, 'pusher:ping')) conn.send('{"event":"pusher:pong","data":{}}');
    else if (has(buf, start, end, 'pusher:error') || has(buf, start, end, 'subscription_error')) {
      ctx.error(conn, buf.toString('utf8', start, end));
    }
  },
};

const socketIoClient = {
  // engine.io v4 straight over WebSocket (no polling upgrade), default namespace.
  path: () => '/socket.io/?EIO=4&transport=websocket',
  onOpen() {},
  subscribe(conn) {
    conn.send(`42${JSON.stringify(['join', conn.state.channel])}`);
  },
  onControl(conn, buf, start, end, ctx) {
    const c0 = buf[start];
    const len = end - start;
    if (c0 === 0x32 /* '2' ping */ && len === 1) conn.send('3');
    else if (c0 === 0x30 /* '0' engine open */) conn.send('40');
    else if (c0 === 0x34 /* '4' message */ && buf[start + 1] === 0x30 /* '0' sio connect */) ctx.connected(conn);
    else if (has(buf, start, end, '42["joined"')) ctx.subscribed(conn);
    else if (c0 === 0x34 && buf[start + 1] === 0x34 /* '44' connect error */) {
      ctx.error(conn, buf.toString('utf8', start, end));
    }
  },
};

const plainWsClient = {
  path: () => '/',
  onOpen(conn, ctx) {
    ctx.connected(conn);
  },
  subscribe(conn) {
    conn.send(JSON.stringify({ subscribe: conn.state.channel }));
  },
  onControl(conn, buf, start, end, ctx) {
    if (has(buf, start, end, '"subscribed"')) ctx.subscribed(conn);
  },
};

export const clients = {
  pusher: pusherClient,
  'socket.io': socketIoClient,
  ws: plainWsClient,
};

/** The event data: marker + timestamp + padding to a fixed total length. */
export function eventData(tsUs, size) {
  const head = `@@${tsUs}@@`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

/**
 * Publisher side: returns { path, body, headers } for publishing `data` as event `bench` to `channels`.
 * Pusher servers get a signed POST /apps/{id}/events; the minimal ws and socket.io servers take the same
 * JSON body unsigned on POST /publish.
 */
export function publishRequest(kind, channels, data) {
  const body = JSON.stringify({ name: EVENT_NAME, channels, data });
  if (kind !== 'pusher') {
    return { path: '/publish', body, headers: { 'content-type': 'application/json' } };
  }
  const path = `/apps/${APP_ID}/events`;
  const params = {
    auth_key: APP_KEY,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    body_md5: crypto.createHash('md5').update(body).digest('hex'),
  };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = crypto.createHmac('sha256', APP_SECRET).update(`POST\n${path}\n${query}`).digest('hex');
  return {
    path: `${path}?${query}&auth_signature=${signature}`,
    body,
    headers: { 'content-type': 'application/json' },
  };
}
