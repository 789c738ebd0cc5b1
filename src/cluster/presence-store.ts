/** A presence member: the user id and the user_info the application signed. */
export interface PresenceMember {
  readonly userId: string;
  readonly userInfo: unknown;
}

/** A member that disappeared with a dead node. */
export interface DepartedMember {
  readonly appId: string;
  readonly channel: string;
  readonly userId: string;
}

/**
 * Who is in each presence channel, counted per connection so that a user with two tabs is one member.
 * Also used, under a reserved channel name, to count each signed-in user's connections.
 *
 * Guarantees: for one (app, channel, user), exactly one `join` across the cluster resolves `true`
 * (the first connection) and exactly one `leave` resolves `true` (the last), as long as every join
 * is paired with one leave or a `forgetNode` of the node that joined.
 */
export interface PresenceStore {
  /** Adds one connection of a member; true when it is the user's first connection in the channel. */
  join(appId: string, channel: string, socketId: string, member: PresenceMember): Promise<boolean>;
  /** Removes one connection; true when it was the user's last connection in the channel. */
  leave(appId: string, channel: string, socketId: string, userId: string): Promise<boolean>;
  /** Members (user id → user_info) in join order of their first connection. */
  members(appId: string, channel: string): Promise<Map<string, unknown>>;
  memberCount(appId: string, channel: string): Promise<number>;
  /** Which of `userIds` are members now (cost grows with `userIds`, not with the channel). */
  present(appId: string, channel: string, userIds: readonly string[]): Promise<Set<string>>;
  /** Removes every connection a dead node held; returns the members that left entirely. */
  forgetNode(nodeId: string): Promise<DepartedMember[]>;
  close(): Promise<void>;
}
