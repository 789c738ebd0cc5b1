/** What the gateway answered after a re-subscribe that carried a remembered position. */
export interface RecoveredEvent {
  readonly channel: string;
  /** True when every event missed during the gap was replayed (before this event fires). */
  readonly recovered: boolean;
  /** The channel's position now, `"<epoch>:<offset>"`; undefined when the channel has none. */
  readonly position: string | undefined;
  /** Why not recovered (history too short, gateway restarted, …). */
  readonly error?: string;
}

export interface Resume {
  bind(event: 'recovered', callback: (event: RecoveredEvent) => void): Resume;
  unbind(event: 'recovered', callback?: (event: RecoveredEvent) => void): Resume;
  /** The remembered position of a channel, `"<epoch>:<offset>"`, or undefined. */
  position(channel: string): string | undefined;
  /** Every remembered position. */
  positions(): Record<string, string>;
  /** Restores the pusher-js instance. */
  detach(): void;
}

/** The parts of a pusher-js instance the add-on uses (structural, so any pusher-js 7/8 fits). */
export interface PusherLike {
  send_event(name: string, data: unknown, channel?: string): boolean;
  channel(name: string): { emit(event: string, data?: unknown): unknown } | undefined | null;
  connection: {
    bind(event: string, callback: (...args: never[]) => void): unknown;
    unbind(event: string, callback?: (...args: never[]) => void): unknown;
    connection?: unknown;
  };
}

/**
 * Adds resumable channels to a pusher-js instance (Laravel Echo: `echo.connector.pusher`).
 * Emits `recovered` here and `switchboard:recovered` on the channel after every re-subscribe.
 */
export function attachResume(pusher: PusherLike): Resume;
export default attachResume;
