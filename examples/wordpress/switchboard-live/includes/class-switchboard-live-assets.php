<?php
/**
 * The browser side: pusher-js, the plugin's script and its configuration, and the live comment list.
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

/**
 * Pages get the script only when there is something to listen to: the post's comments, new posts, and for
 * moderators the moderation channel (also in the dashboard). The connection is `window.switchboardLive.pusher`
 * for site code that wants its own channels.
 */
final class Switchboard_Live_Assets {
	public static function register() {
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'front' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'admin' ) );
		add_action( 'comment_form_before', array( __CLASS__, 'comment_list' ) );
	}

	public static function front() {
		$s        = Switchboard_Live_Settings::get();
		$channels = array();
		if ( $s['live_comments'] && is_singular() && comments_open( get_queried_object_id() ) ) {
			$channels['post'] = Switchboard_Live_Channels::post( get_queried_object_id() );
		}
		if ( $s['post_notices'] ) {
			$channels['site'] = Switchboard_Live_Channels::SITE;
		}
		self::enqueue( $channels );
	}

	public static function admin() {
		self::enqueue( array() );
	}

	/** Where new comments appear: just above the comment form, in any theme that calls comment_form(). */
	public static function comment_list() {
		if ( Switchboard_Live_Settings::is_configured() && Switchboard_Live_Settings::get()['live_comments'] ) {
			echo '<ol class="switchboard-live-comments" data-switchboard-live-comments aria-live="polite"></ol>';
		}
	}

	/**
	 * Enqueues pusher-js and the plugin's script with its configuration.
	 *
	 * @param array<string, string> $channels The public channels this page listens to, by role.
	 */
	private static function enqueue( array $channels ) {
		$s = Switchboard_Live_Settings::get();
		if ( $s['moderation_notices'] && current_user_can( 'moderate_comments' ) ) {
			$channels['moderation'] = Switchboard_Live_Channels::MODERATION;
		}
		$socket = Switchboard_Live_Settings::socket_options();
		$src    = Switchboard_Live_Settings::pusher_js_src();
		if ( empty( $channels ) || ! Switchboard_Live_Settings::is_configured() || null === $socket || '' === $src ) {
			return;
		}
		$bundled = plugin_dir_path( SWITCHBOARD_LIVE_FILE ) . Switchboard_Live_Settings::BUNDLED_PUSHER_JS;
		$version = '' === $s['pusher_js_url'] && file_exists( $bundled ) ? (string) filemtime( $bundled ) : null;
		wp_register_script( 'pusher-js', $src, array(), $version, true );
		wp_enqueue_script( 'switchboard-live', plugins_url( 'assets/live.js', SWITCHBOARD_LIVE_FILE ), array( 'pusher-js' ), SWITCHBOARD_LIVE_VERSION, true );
		wp_enqueue_style( 'switchboard-live', plugins_url( 'assets/live.css', SWITCHBOARD_LIVE_FILE ), array(), SWITCHBOARD_LIVE_VERSION );

		$logged_in = is_user_logged_in();
		$config    = array(
			'key'          => $s['app_key'],
			'socket'       => $socket,
			'authEndpoint' => Switchboard_Live_Rest::auth_url(),
			'nonce'        => $logged_in ? wp_create_nonce( 'wp_rest' ) : '',
			'channels'     => $channels,
			'userChannel'  => $logged_in ? Switchboard_Live_Channels::user( get_current_user_id() ) : '',
			'text'         => array(
				'newPost'     => __( 'New post:', 'switchboard-live' ),
				/* translators: 1: commenter, 2: post title. */
				'heldComment' => __( '%1$s commented on “%2$s”: the comment awaits moderation.', 'switchboard-live' ),
				'moderate'    => __( 'Moderate', 'switchboard-live' ),
				'readComment' => __( 'Read the comment', 'switchboard-live' ),
				'dismiss'     => __( 'Dismiss', 'switchboard-live' ),
			),
		);
		wp_add_inline_script( 'switchboard-live', 'window.switchboardLiveConfig = ' . wp_json_encode( $config ) . ';', 'before' );
	}
}
