<?php
/**
 * Signed requests to the gateway's HTTP API (the Pusher REST API) through the WordPress HTTP API,
 * and the signatures that authorize private-channel subscriptions.
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

/**
 * Pusher request signing: every query parameter but auth_signature, keys sorted, joined unescaped
 * as k=v&…; auth_signature = hex HMAC-SHA256(secret, "METHOD\nPATH\nQUERY"); body_md5 for a body.
 */
final class Switchboard_Live_Client {
	const TIMEOUT_SECONDS = 3;

	/** @var string */
	private $base;
	/** @var string */
	private $app_id;
	/** @var string */
	private $key;
	/** @var string */
	private $secret;

	/**
	 * @param string $base   API base URL, with the gateway's path prefix if any.
	 * @param string $app_id App id.
	 * @param string $key    App key.
	 * @param string $secret App secret.
	 */
	public function __construct( $base, $app_id, $key, $secret ) {
		$this->base   = untrailingslashit( $base );
		$this->app_id = $app_id;
		$this->key    = $key;
		$this->secret = $secret;
	}

	/** The client for the stored settings, or null while they are incomplete. */
	public static function from_settings() {
		if ( ! Switchboard_Live_Settings::is_configured() ) {
			return null;
		}
		$s = Switchboard_Live_Settings::get();
		return new self( '' !== $s['api_url'] ? $s['api_url'] : $s['gateway_url'], $s['app_id'], $s['app_key'], $s['app_secret'] );
	}

	/**
	 * POST /apps/{id}/events. Failures are logged (without the secret) and returned.
	 *
	 * @param string[]    $channels  Channel names.
	 * @param string      $event     Event name.
	 * @param mixed       $data      Encoded as JSON; browsers receive it decoded.
	 * @param string|null $socket_id A connection to leave out (the sender's own), or null.
	 * @return true|WP_Error
	 */
	public function publish( array $channels, $event, $data, $socket_id = null ) {
		$payload = array(
			'name'     => $event,
			'channels' => array_values( $channels ),
			'data'     => wp_json_encode( $data ),
		);
		if ( null !== $socket_id ) {
			$payload['socket_id'] = $socket_id;
		}
		$result = $this->request( 'POST', '/apps/' . $this->app_id . '/events', array(), (string) wp_json_encode( $payload ) );
		if ( is_wp_error( $result ) ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- operators need the reason.
			error_log( sprintf( 'switchboard-live: publishing %s to %s failed: %s', $event, implode( ',', $channels ), $result->get_error_message() ) );
			return $result;
		}
		return true;
	}

	/**
	 * A signed GET the gateway only answers for the right app and secret: what the settings page shows.
	 *
	 * @return true|WP_Error
	 */
	public function check() {
		$result = $this->request( 'GET', '/apps/' . $this->app_id . '/channels', array( 'filter_by_prefix' => 'wp-' ), '' );
		return is_wp_error( $result ) ? $result : true;
	}

	/**
	 * The `auth` value pusher-js expects for a private channel: "key:hex(HMAC-SHA256(secret, socket_id:channel))".
	 *
	 * @param string $socket_id The connection's socket id.
	 * @param string $channel   The private channel.
	 */
	public function authorize_channel( $socket_id, $channel ) {
		return $this->key . ':' . hash_hmac( 'sha256', $socket_id . ':' . $channel, $this->secret );
	}

	/**
	 * One signed API request.
	 *
	 * @param string                $method GET or POST.
	 * @param string                $path   Path under the API base, e.g. /apps/1/events.
	 * @param array<string, string> $params Query parameters besides the signing ones.
	 * @param string                $body   Raw JSON body ('' for none).
	 * @return array<mixed>|WP_Error The decoded answer, or why it failed.
	 */
	private function request( $method, $path, array $params, $body ) {
		$params['auth_key']       = $this->key;
		$params['auth_timestamp'] = (string) time();
		$params['auth_version']   = '1.0';
		if ( '' !== $body ) {
			$params['body_md5'] = md5( $body );
		}
		ksort( $params, SORT_STRING );
		$pairs = array();
		foreach ( $params as $name => $value ) {
			$pairs[] = $name . '=' . $value;
		}
		$params['auth_signature'] = hash_hmac( 'sha256', $method . "\n" . $path . "\n" . implode( '&', $pairs ), $this->secret );

		$args = array(
			'timeout' => self::TIMEOUT_SECONDS,
			'headers' => array( 'Content-Type' => 'application/json' ),
		);
		if ( '' !== $body ) {
			$args['body'] = $body;
		}
		$url      = $this->base . $path . '?' . http_build_query( $params, '', '&', PHP_QUERY_RFC3986 );
		$response = 'POST' === $method ? wp_remote_post( $url, $args ) : wp_remote_get( $url, $args );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$status  = (int) wp_remote_retrieve_response_code( $response );
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( $status < 200 || $status > 299 ) {
			$reason = is_array( $decoded ) && isset( $decoded['error'] ) && is_string( $decoded['error'] ) ? $decoded['error'] : wp_remote_retrieve_response_message( $response );
			/* translators: 1: HTTP status, 2: the gateway's reason. */
			return new WP_Error( 'switchboard_live_http_' . $status, sprintf( __( 'HTTP %1$d: %2$s', 'switchboard-live' ), $status, $reason ), array( 'status' => $status ) );
		}
		return is_array( $decoded ) ? $decoded : array();
	}
}
