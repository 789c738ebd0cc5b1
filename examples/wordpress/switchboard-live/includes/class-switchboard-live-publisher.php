<?php
/**
 * Publishing from WordPress hooks: approved comments, comments held for moderation, published posts.
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

/**
 * Each hook publishes one event with one signed request, while WordPress handles the request that caused
 * it; a gateway that is down costs that request at most Switchboard_Live_Client::TIMEOUT_SECONDS and a log line.
 */
final class Switchboard_Live_Publisher {
	/** Rendered comments longer than this travel as a link only (the gateway's default event limit is 10 KB). */
	const MAX_HTML_BYTES = 8000;

	public static function register() {
		add_action( 'wp_insert_comment', array( __CLASS__, 'comment_inserted' ), 10, 2 );
		add_action( 'transition_comment_status', array( __CLASS__, 'comment_status_changed' ), 10, 3 );
		add_action( 'transition_post_status', array( __CLASS__, 'post_status_changed' ), 10, 3 );
	}

	/**
	 * A new comment: approved at once (a trusted commenter) or held for moderation.
	 *
	 * @param int        $id      Comment id.
	 * @param WP_Comment $comment The comment.
	 */
	public static function comment_inserted( $id, $comment ) {
		if ( self::importing() ) {
			return;
		}
		if ( '1' === (string) $comment->comment_approved ) {
			self::comment_approved( $comment );
		} elseif ( '0' === (string) $comment->comment_approved ) {
			self::comment_held( $comment );
		}
	}

	/**
	 * A moderator approved a comment (or took it back from spam or the trash).
	 *
	 * @param string     $new_status New status.
	 * @param string     $old_status Old status.
	 * @param WP_Comment $comment    The comment.
	 */
	public static function comment_status_changed( $new_status, $old_status, $comment ) {
		if ( 'approved' === $new_status && 'approved' !== $old_status ) {
			self::comment_approved( $comment );
		}
	}

	/**
	 * A post went live (published now, or a scheduled post's time came).
	 *
	 * @param string  $new_status New status.
	 * @param string  $old_status Old status.
	 * @param WP_Post $post       The post.
	 */
	public static function post_status_changed( $new_status, $old_status, $post ) {
		if ( 'publish' !== $new_status || 'publish' === $old_status || 'post' !== $post->post_type || self::importing() || ! self::is_public( $post ) ) {
			return;
		}
		$client = Switchboard_Live_Client::from_settings();
		if ( null === $client || ! Switchboard_Live_Settings::get()['post_notices'] ) {
			return;
		}
		$client->publish(
			array( Switchboard_Live_Channels::SITE ),
			'post-published',
			array(
				'id'    => (int) $post->ID,
				'title' => self::plain( get_the_title( $post ) ),
				'url'   => get_permalink( $post ),
			)
		);
	}

	/**
	 * Sends an approved comment to its post's public channel.
	 *
	 * @param WP_Comment $comment The comment.
	 */
	private static function comment_approved( WP_Comment $comment ) {
		$post   = get_post( (int) $comment->comment_post_ID );
		$client = Switchboard_Live_Client::from_settings();
		if ( null === $client || ! Switchboard_Live_Settings::get()['live_comments'] || 'comment' !== get_comment_type( $comment ) || ! self::is_public( $post ) ) {
			return;
		}
		$html = wp_kses_post( (string) apply_filters( 'comment_text', get_comment_text( $comment ), $comment, array() ) );
		$client->publish(
			array( Switchboard_Live_Channels::post( $post->ID ) ),
			'comment-approved',
			array(
				'id'         => (int) $comment->comment_ID,
				'post_id'    => (int) $post->ID,
				'parent'     => (int) $comment->comment_parent,
				'author'     => self::plain( get_comment_author( $comment ) ),
				'author_url' => get_comment_author_url( $comment ),
				'avatar'     => get_option( 'show_avatars' ) ? get_avatar_url( $comment, array( 'size' => 48 ) ) : '',
				'date'       => mysql2date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $comment->comment_date ),
				'datetime'   => mysql2date( 'c', $comment->comment_date ),
				'link'       => get_comment_link( $comment ),
				'html'       => strlen( $html ) <= self::MAX_HTML_BYTES ? $html : null,
			)
		);
	}

	/**
	 * Tells moderators about a comment waiting for them, on the private moderation channel.
	 *
	 * @param WP_Comment $comment The comment.
	 */
	private static function comment_held( WP_Comment $comment ) {
		$post   = get_post( (int) $comment->comment_post_ID );
		$client = Switchboard_Live_Client::from_settings();
		if ( null === $client || ! Switchboard_Live_Settings::get()['moderation_notices'] || null === $post ) {
			return;
		}
		$client->publish(
			array( Switchboard_Live_Channels::MODERATION ),
			'comment-held',
			array(
				'id'           => (int) $comment->comment_ID,
				'post_id'      => (int) $post->ID,
				'post_title'   => self::plain( get_the_title( $post ) ),
				'author'       => self::plain( get_comment_author( $comment ) ),
				'excerpt'      => wp_trim_words( self::plain( get_comment_text( $comment ) ), 20 ),
				'moderate_url' => admin_url( 'edit-comments.php?comment_status=moderated' ),
			)
		);
	}

	/** An importer (WP_IMPORTING) inserting old posts and comments by the thousand: nothing to announce. */
	private static function importing() {
		return defined( 'WP_IMPORTING' ) && WP_IMPORTING;
	}

	/**
	 * Published, viewable by anyone and without a password: what may go to a public channel.
	 *
	 * @param WP_Post|null $post The post.
	 */
	private static function is_public( $post ) {
		return $post instanceof WP_Post && 'publish' === get_post_status( $post ) && is_post_publicly_viewable( $post ) && '' === $post->post_password;
	}

	/**
	 * Text for textContent: no tags, entities decoded (titles come back texturized as &#8217; and so on).
	 *
	 * @param string $text WordPress display text.
	 */
	private static function plain( $text ) {
		return html_entity_decode( wp_strip_all_tags( (string) $text ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
	}
}
