import type { DepartedMember, PresenceMember, PresenceStore } from './presence-store.js';

interface LocalMember {
  userInfo: unknown;
  readonly sockets: Set<string>;
}

/** Presence kept in this process: the single-node store. */
export class LocalPresenceStore implements PresenceStore {
  /** app → channel → user → member */
  private readonly apps = new Map<string, Map<string, Map<string, LocalMember>>>();

  async join(appId: string, channel: string, socketId: string, member: PresenceMember): Promise<boolean> {
    let channels = this.apps.get(appId);
    if (!channels) this.apps.set(appId, (channels = new Map()));
    let users = channels.get(channel);
    if (!users) channels.set(channel, (users = new Map()));
    const existing = users.get(member.userId);
    if (existing) {
      existing.sockets.add(socketId);
      existing.userInfo = member.userInfo;
      return false;
    }
    users.set(member.userId, { userInfo: member.userInfo, sockets: new Set([socketId]) });
    return true;
  }

  async leave(appId: string, channel: string, socketId: string, userId: string): Promise<boolean> {
    const channels = this.apps.get(appId);
    const users = channels?.get(channel);
    const member = users?.get(userId);
    if (!channels || !users || !member || !member.sockets.delete(socketId)) return false;
    if (member.sockets.size > 0) return false;
    users.delete(userId);
    if (users.size === 0) channels.delete(channel);
    if (channels.size === 0) this.apps.delete(appId);
    return true;
  }

  async members(appId: string, channel: string): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const [userId, member] of this.apps.get(appId)?.get(channel) ?? []) out.set(userId, member.userInfo);
    return out;
  }

  async memberCount(appId: string, channel: string): Promise<number> {
    return this.apps.get(appId)?.get(channel)?.size ?? 0;
  }

  async present(appId: string, channel: string, userIds: readonly string[]): Promise<Set<string>> {
    const users = this.apps.get(appId)?.get(channel);
    return new Set(userIds.filter((id) => users?.has(id)));
  }

  async forgetNode(): Promise<DepartedMember[]> {
    return [];
  }

  async close(): Promise<void> {
    this.apps.clear();
  }
}
