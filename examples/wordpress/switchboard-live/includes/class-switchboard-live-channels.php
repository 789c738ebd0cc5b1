<?php
/**
 * The channel names the plugin uses, and who may subscribe to its private ones.
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

/**
 * Public channels carry what any visitor of the page may read anyway; private channels are signed by
 * the REST route for logged-in users only. One Switchboard app per site: the names are not prefixed.
 */
final class Switchboard_Live_Channels {
	/** Public: `post-published` events. */
	const SITE = 'wp-site';

	/** Private: `comment-held` events, for users who can moderate comments. */
	const MODERATION = 'private-wp-moderation';

	/**
	 * Public: `comment-approved` events of one post.
	 *
	 * @param int $post_id Post id.
	 */
	public static function post( $post_id ) {
		return 'wp-post-' . (int) $post_id;
	}

	/**
	 * Private: one user's own channel, for site code publishing with switchboard_live_publish().
	 *
	 * @param int $user_id User id.
	 */
	public static function user( $user_id ) {
		return 'private-wp-user-' . (int) $user_id;
	}

	/**
	 * Whether a logged-in user may subscribe to a private channel. Built in: their own user channel, and the
	 * moderation channel for users who can moderate comments. The `switchboard_live_can_subscribe` filter
	 * decides the rest (and may overrule). Presence and encrypted channels are never signed here.
	 *
	 * @param WP_User $user    The logged-in user.
	 * @param string  $channel The channel pusher-js asks for.
	 */
	public static function may_subscribe( WP_User $user, $channel ) {
		if ( 0 !== strpos( $channel, 'private-' ) || 0 === strpos( $channel, 'private-encrypted-' ) ) {
			return false;
		}
		if ( self::user( $user->ID ) === $channel ) {
			$allowed = true;
		} elseif ( self::MODERATION === $channel ) {
			$allowed = user_can( $user, 'moderate_comments' );
		} else {
			$allowed = false;
		}
		/**
		 * Filters whether a logged-in user may subscribe to a private channel.
		 *
		 * @param bool    $allowed The plugin's own answer.
		 * @param string  $channel The channel name (starts with "private-").
		 * @param WP_User $user    The user.
		 */
		return (bool) apply_filters( 'switchboard_live_can_subscribe', $allowed, $channel, $user );
	}
}
