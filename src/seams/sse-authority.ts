/**
 * What the SSE endpoint needs from whoever holds the app secrets (the composition root wires it):
 * the check of a page's token for private channels, and the `auth` of the subscriptions the
 * transport makes on the page's behalf, which core then verifies like any other.
 */
export interface SseAuthority {
  /** Undefined when `token` signs exactly `channels` (the query value) until `expires`; else why not. */
  checkToken(appKey: string, channels: string, expires: string | null, token: string | null, nowMs: number): string | undefined;
  /** `auth` for a private-channel subscribe by `socketId`; undefined for an unknown app. */
  channelAuth(appKey: string, socketId: string, channel: string): string | undefined;
}
