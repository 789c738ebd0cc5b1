<?php
/**
 * POST /wp-json/switchboard-live/v1/auth: signs private-channel subscriptions for logged-in users.
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

/**
 * pusher-js posts `socket_id` and `channel_name` (form-encoded) with the `X-WP-Nonce` header the page was
 * given; WordPress's cookie authentication needs that nonce, so a request without it is a logged-out one.
 * Logged out: 401. Logged in but not allowed that channel: 403. Allowed: `{"auth": "key:signature"}`.
 */
final class Switchboard_Live_Rest {
	const NAMESPACE_V1 = 'switchboard-live/v1';

	public static function register() {
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
	}

	/** The auth endpoint's URL, for pusher-js's channelAuthorization.endpoint. */
	public static function auth_url() {
		return rest_url( self::NAMESPACE_V1 . '/auth' );
	}

	public static function routes() {
		register_rest_route(
			self::NAMESPACE_V1,
			'/auth',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'authorize' ),
				'permission_callback' => array( __CLASS__, 'logged_in' ),
				'args'                => array(
					'socket_id'    => array(
						'type'     => 'string',
						'required' => true,
						'pattern'  => '^[0-9]{1,20}\.[0-9]{1,20}$',
					),
					'channel_name' => array(
						'type'      => 'string',
						'required'  => true,
						'maxLength' => 200,
					),
				),
			)
		);
	}

	/** Only logged-in users get past this; WordPress answers everyone else 401 rest_forbidden. */
	public static function logged_in() {
		return is_user_logged_in();
	}

	/**
	 * Signs the subscription when the user may have the channel.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return array{auth: string}|WP_Error
	 */
	public static function authorize( WP_REST_Request $request ) {
		$client  = Switchboard_Live_Client::from_settings();
		$channel = (string) $request['channel_name'];
		if ( null === $client ) {
			return new WP_Error( 'switchboard_live_not_configured', __( 'Switchboard Live is not configured.', 'switchboard-live' ), array( 'status' => 503 ) );
		}
		if ( ! Switchboard_Live_Channels::may_subscribe( wp_get_current_user(), $channel ) ) {
			return new WP_Error( 'switchboard_live_forbidden', __( 'You may not subscribe to this channel.', 'switchboard-live' ), array( 'status' => 403 ) );
		}
		return array( 'auth' => $client->authorize_channel( (string) $request['socket_id'], $channel ) );
	}
}
