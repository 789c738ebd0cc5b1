// switchboard-resume: resumable channels for a pusher-js instance talking to a Switchboard gateway.
// Plain ES module without imports or build step, so the same file runs in browsers and in Node.

const SINCE_LATEST = 'latest';
const STATE = typeof Symbol === 'function' ? Symbol.for('switchboard-resume') : '__switchboardResume';

function splitPosition(position) {
  const at = position.lastIndexOf(':');
  return { epoch: position.slice(0, at), offset: Number(position.slice(at + 1)) };
}

// Positions of one channel arrive in order except for live frames held during a resume, which may
// sit at or below the tip the server announced: keep the highest offset of the newest epoch.
function isNewer(current, next) {
  if (current === undefined) return true;
  const a = splitPosition(current);
  const b = splitPosition(next);
  return a.epoch !== b.epoch || b.offset > a.offset;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Plugs resumable channels into a pusher-js instance (for Laravel Echo: `echo.connector.pusher`).
 *
 * - Remembers the position of the last event received on every channel with history. Positions are
 *   read from the raw transport messages, since pusher-js drops unknown fields when it decodes.
 * - Adds `since` to every `pusher:subscribe`: the remembered position on a re-subscribe (after a
 *   reconnect), `"latest"` on a first subscribe, so the position is known before any event arrives.
 *   An explicit unsubscribe forgets the channel's position.
 * - After each re-subscribe the gateway replays what was missed and answers whether the gap was
 *   fully recovered; that answer is emitted as `recovered` ({channel, recovered, position, error})
 *   on the returned object and as `switchboard:recovered` on the channel. `recovered: false` means
 *   events were lost (history too short, gateway restarted): refetch the channel's state.
 *
 * Attach before subscribing. Calling it twice on one instance returns the same object.
 */
export function attachResume(pusher) {
  if (!pusher || typeof pusher.send_event !== 'function' || !pusher.connection) {
    throw new TypeError('attachResume expects a pusher-js instance (for Laravel Echo: echo.connector.pusher)');
  }
  if (pusher[STATE]) return pusher[STATE];

  const positions = new Map();
  // Channels whose last subscribe carried a remembered position: their answer is a recovery.
  const resuming = new Set();
  const callbacks = new Map();
  const manager = pusher.connection;
  let hookedTransport = null;

  function emit(event, payload) {
    const list = callbacks.get(event);
    if (!list) return;
    for (const fn of Array.from(list)) fn(payload);
  }

  function remember(channel, position) {
    if (typeof position === 'string' && position.indexOf(':') > 0 && isNewer(positions.get(channel), position)) {
      positions.set(channel, position);
    }
  }

  function onResume(channel, data) {
    if (!data || typeof data !== 'object') return;
    if (typeof data.position === 'string') remember(channel, data.position);
    else if (!data.recovered) positions.delete(channel);
    if (!resuming.has(channel)) return;
    resuming.delete(channel);
    const payload = { channel, recovered: data.recovered === true, position: positions.get(channel) };
    if (typeof data.error === 'string') payload.error = data.error;
    emit('recovered', payload);
    const subscribed = pusher.channel(channel);
    if (subscribed) subscribed.emit('switchboard:recovered', payload);
  }

  // Global callbacks run before pusher-js's own handlers: a position is remembered before the
  // application's handler for that event runs, and whatever the handler does.
  function onTransportEvent(name, message) {
    if (name !== 'message' || !message || typeof message.data !== 'string') return;
    const text = message.data;
    if (text.indexOf('"position"') === -1 && text.indexOf('pusher_internal:resume') === -1) return;
    const frame = parseJson(text);
    if (!frame || typeof frame.channel !== 'string') return;
    if (frame.event === 'pusher_internal:resume') {
      onResume(frame.channel, typeof frame.data === 'string' ? parseJson(frame.data) : frame.data);
    } else if (typeof frame.position === 'string') {
      remember(frame.channel, frame.position);
    }
  }

  // Each connection (WebSocket or HTTP fallback) has its own transport; hook the current one.
  function hook() {
    const connection = manager.connection;
    const transport = connection && connection.transport;
    if (!transport || transport === hookedTransport || typeof transport.bind_global !== 'function') return;
    hookedTransport = transport;
    transport.bind_global(onTransportEvent);
  }

  const originalSendEvent = pusher.send_event;
  pusher.send_event = function (name, data, channel) {
    if (data && typeof data === 'object' && typeof data.channel === 'string') {
      if (name === 'pusher:subscribe') {
        hook();
        const known = positions.get(data.channel);
        if (known === undefined) resuming.delete(data.channel);
        else resuming.add(data.channel);
        data = Object.assign({}, data, { since: known === undefined ? SINCE_LATEST : known });
      } else if (name === 'pusher:unsubscribe') {
        positions.delete(data.channel);
        resuming.delete(data.channel);
      }
    }
    return originalSendEvent.call(this, name, data, channel);
  };
  manager.bind('connected', hook);
  hook();

  const api = {
    /** Listens for `recovered`. */
    bind(event, fn) {
      if (!callbacks.has(event)) callbacks.set(event, new Set());
      callbacks.get(event).add(fn);
      return api;
    },
    unbind(event, fn) {
      const list = callbacks.get(event);
      if (list) {
        if (fn) list.delete(fn);
        else list.clear();
      }
      return api;
    },
    /** The remembered position of a channel, `"<epoch>:<offset>"`, or undefined. */
    position(channel) {
      return positions.get(channel);
    },
    /** Every remembered position, `{channel: "<epoch>:<offset>"}`. */
    positions() {
      const out = {};
      positions.forEach((position, channel) => {
        out[channel] = position;
      });
      return out;
    },
    /** Restores the instance: no more `since`, no more positions. */
    detach() {
      pusher.send_event = originalSendEvent;
      manager.unbind('connected', hook);
      if (hookedTransport && typeof hookedTransport.unbind_global === 'function') hookedTransport.unbind_global(onTransportEvent);
      hookedTransport = null;
      positions.clear();
      resuming.clear();
      callbacks.clear();
      delete pusher[STATE];
    },
  };
  pusher[STATE] = api;
  return api;
}

export default attachResume;
