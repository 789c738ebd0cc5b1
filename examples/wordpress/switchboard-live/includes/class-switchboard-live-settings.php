<?php
/**
 * The settings page (Settings → Switchboard Live) and the stored option.
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

/**
 * One option, `switchboard_live`, holds everything; the secret is never printed back.
 */
final class Switchboard_Live_Settings {
	const OPTION = 'switchboard_live';
	const PAGE   = 'switchboard-live';

	/** Where the zip built by `npm run wordpress:zip` puts pusher-js, relative to the plugin. */
	const BUNDLED_PUSHER_JS = 'assets/vendor/pusher.min.js';

	/**
	 * The option's keys and their defaults.
	 *
	 * @return array<string, string|int>
	 */
	public static function defaults() {
		return array(
			'gateway_url'        => '',
			'api_url'            => '',
			'app_id'             => '',
			'app_key'            => '',
			'app_secret'         => '',
			'pusher_js_url'      => '',
			'live_comments'      => 1,
			'post_notices'       => 1,
			'moderation_notices' => 1,
		);
	}

	/**
	 * The stored settings over the defaults.
	 *
	 * @return array<string, string|int>
	 */
	public static function get() {
		$stored = get_option( self::OPTION, array() );
		return array_merge( self::defaults(), is_array( $stored ) ? array_intersect_key( $stored, self::defaults() ) : array() );
	}

	/** True when the gateway URL and the app's id, key and secret are all set. */
	public static function is_configured() {
		$s = self::get();
		return '' !== $s['gateway_url'] && '' !== $s['app_id'] && '' !== $s['app_key'] && '' !== $s['app_secret'];
	}

	/**
	 * How browsers reach the gateway, from its URL: host, port, TLS and path prefix for pusher-js.
	 *
	 * @return array{host: string, port: int, tls: bool, path: string}|null
	 */
	public static function socket_options() {
		$parts = wp_parse_url( (string) self::get()['gateway_url'] );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) ) {
			return null;
		}
		$tls = 'https' === ( $parts['scheme'] ?? '' );
		return array(
			'host' => (string) $parts['host'],
			'port' => isset( $parts['port'] ) ? (int) $parts['port'] : ( $tls ? 443 : 80 ),
			'tls'  => $tls,
			'path' => untrailingslashit( (string) ( $parts['path'] ?? '' ) ),
		);
	}

	/** The pusher-js URL pages load: the admin's choice, else the copy bundled in the plugin's zip, else ''. */
	public static function pusher_js_src() {
		$custom = (string) self::get()['pusher_js_url'];
		if ( '' !== $custom ) {
			return $custom;
		}
		if ( file_exists( plugin_dir_path( SWITCHBOARD_LIVE_FILE ) . self::BUNDLED_PUSHER_JS ) ) {
			return plugins_url( self::BUNDLED_PUSHER_JS, SWITCHBOARD_LIVE_FILE );
		}
		return '';
	}

	public static function register() {
		add_action( 'admin_init', array( __CLASS__, 'admin_init' ) );
		add_action( 'admin_menu', array( __CLASS__, 'admin_menu' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( SWITCHBOARD_LIVE_FILE ), array( __CLASS__, 'action_links' ) );
	}

	public static function admin_menu() {
		add_options_page( __( 'Switchboard Live', 'switchboard-live' ), __( 'Switchboard Live', 'switchboard-live' ), 'manage_options', self::PAGE, array( __CLASS__, 'render_page' ) );
	}

	/**
	 * A "Settings" link beside "Deactivate" on the plugins screen.
	 *
	 * @param string[] $links The row's links.
	 * @return string[]
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'switchboard-live' ) . '</a>' );
		return $links;
	}

	public static function admin_init() {
		register_setting(
			self::PAGE,
			self::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => self::defaults(),
			)
		);

		add_settings_section( 'gateway', __( 'Gateway', 'switchboard-live' ), array( __CLASS__, 'render_gateway_intro' ), self::PAGE );
		self::field( 'gateway_url', __( 'Gateway URL', 'switchboard-live' ), 'gateway', 'url', __( 'How browsers reach Switchboard, e.g. https://realtime.example.com or http://127.0.0.1:6001. A path (https://example.com/realtime) is the gateway\'s pathPrefix.', 'switchboard-live' ) );
		self::field( 'api_url', __( 'API URL (optional)', 'switchboard-live' ), 'gateway', 'url', __( 'Where this server sends its signed publishes, when it reaches the gateway at another address (e.g. http://127.0.0.1:6001 on the same host). Empty: the gateway URL.', 'switchboard-live' ) );
		self::field( 'app_id', __( 'App id', 'switchboard-live' ), 'gateway', 'text', '' );
		self::field( 'app_key', __( 'App key', 'switchboard-live' ), 'gateway', 'text', __( 'Public: pages receive it.', 'switchboard-live' ) );
		self::field( 'app_secret', __( 'App secret', 'switchboard-live' ), 'gateway', 'secret', __( 'Signs publishes and private subscriptions; never sent to browsers. Leave empty to keep the stored one.', 'switchboard-live' ) );
		self::field( 'pusher_js_url', __( 'pusher-js URL (optional)', 'switchboard-live' ), 'gateway', 'url', __( 'Empty: the copy of pusher-js bundled in the plugin\'s zip, served by this site. Set it to load pusher-js from your own bundle or server instead.', 'switchboard-live' ) );

		add_settings_section( 'features', __( 'What goes live', 'switchboard-live' ), '__return_false', self::PAGE );
		self::field( 'live_comments', __( 'Live comments', 'switchboard-live' ), 'features', 'checkbox', __( 'Approved comments appear on open posts without a reload.', 'switchboard-live' ) );
		self::field( 'post_notices', __( 'New post notices', 'switchboard-live' ), 'features', 'checkbox', __( 'Visitors see a notice when a post is published.', 'switchboard-live' ) );
		self::field( 'moderation_notices', __( 'Moderation notices', 'switchboard-live' ), 'features', 'checkbox', __( 'Users who can moderate comments hear of comments awaiting moderation, on the site and in the dashboard (private channel).', 'switchboard-live' ) );
	}

	/**
	 * Adds one field to the page.
	 *
	 * @param string $key     Option key.
	 * @param string $label   Label.
	 * @param string $section Section id.
	 * @param string $type    url, text, secret or checkbox.
	 * @param string $help    Description under the field.
	 */
	private static function field( $key, $label, $section, $type, $help ) {
		add_settings_field(
			$key,
			$label,
			array( __CLASS__, 'render_field' ),
			self::PAGE,
			$section,
			array(
				'key'       => $key,
				'type'      => $type,
				'help'      => $help,
				'label_for' => 'checkbox' === $type ? null : 'switchboard-live-' . $key,
			)
		);
	}

	/**
	 * Prints one field.
	 *
	 * @param array{key: string, type: string, help: string} $args From field().
	 */
	public static function render_field( $args ) {
		$key   = $args['key'];
		$value = self::get()[ $key ];
		$id    = 'switchboard-live-' . $key;
		$name  = self::OPTION . '[' . $key . ']';
		if ( 'checkbox' === $args['type'] ) {
			printf( '<label><input type="checkbox" id="%s" name="%s" value="1" %s> %s</label>', esc_attr( $id ), esc_attr( $name ), checked( 1, (int) $value, false ), esc_html( $args['help'] ) );
			return;
		}
		if ( 'secret' === $args['type'] ) {
			printf(
				'<input type="password" class="regular-text" id="%s" name="%s" value="" autocomplete="new-password" placeholder="%s">',
				esc_attr( $id ),
				esc_attr( $name ),
				esc_attr( '' === $value ? '' : __( '(stored; unchanged)', 'switchboard-live' ) )
			);
		} else {
			printf( '<input type="%s" class="regular-text" id="%s" name="%s" value="%s">', 'url' === $args['type'] ? 'url' : 'text', esc_attr( $id ), esc_attr( $name ), esc_attr( (string) $value ) );
		}
		if ( '' !== $args['help'] ) {
			printf( '<p class="description">%s</p>', esc_html( $args['help'] ) );
		}
	}

	public static function render_gateway_intro() {
		echo '<p>' . esc_html__( 'The Switchboard app this site publishes to: its id, key and secret come from the gateway\'s configuration (apps[].id / key / secret).', 'switchboard-live' ) . '</p>';
	}

	/**
	 * Validates what the form sent; a bad URL keeps the previous value and says so.
	 *
	 * @param mixed $input The submitted array (already unslashed by options.php).
	 * @return array<string, string|int>
	 */
	public static function sanitize( $input ) {
		$input = is_array( $input ) ? $input : array();
		$out   = self::get();
		$urls  = array(
			'gateway_url'   => __( 'Gateway URL', 'switchboard-live' ),
			'api_url'       => __( 'API URL', 'switchboard-live' ),
			'pusher_js_url' => __( 'pusher-js URL', 'switchboard-live' ),
		);
		foreach ( $urls as $key => $label ) {
			$url = trim( (string) ( $input[ $key ] ?? '' ) );
			if ( '' !== $url && ! self::is_http_url( $url ) ) {
				/* translators: %s: the field's label. */
				add_settings_error( self::OPTION, 'invalid_' . $key, sprintf( __( '%s must be an http:// or https:// URL; the previous value was kept.', 'switchboard-live' ), $label ) );
				continue;
			}
			$out[ $key ] = '' === $url ? '' : untrailingslashit( esc_url_raw( $url, array( 'http', 'https' ) ) );
		}
		foreach ( array( 'app_id', 'app_key' ) as $key ) {
			$out[ $key ] = sanitize_text_field( (string) ( $input[ $key ] ?? '' ) );
		}
		$secret = trim( (string) ( $input['app_secret'] ?? '' ) );
		if ( '' !== $secret ) {
			$out['app_secret'] = $secret;
		}
		foreach ( array( 'live_comments', 'post_notices', 'moderation_notices' ) as $key ) {
			$out[ $key ] = empty( $input[ $key ] ) ? 0 : 1;
		}
		return $out;
	}

	/**
	 * An absolute http(s) URL with a host and no query or fragment.
	 *
	 * @param string $url Candidate.
	 */
	private static function is_http_url( $url ) {
		$parts = wp_parse_url( $url );
		return is_array( $parts ) && in_array( strtolower( $parts['scheme'] ?? '' ), array( 'http', 'https' ), true ) && ! empty( $parts['host'] ) && ! isset( $parts['query'] ) && ! isset( $parts['fragment'] );
	}

	public static function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html__( 'Switchboard Live', 'switchboard-live' ) . '</h1>';
		self::render_status();
		echo '<form method="post" action="options.php">';
		settings_fields( self::PAGE );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form></div>';
	}

	/** What works right now: a signed request to the gateway, and where pusher-js comes from. */
	private static function render_status() {
		$client = Switchboard_Live_Client::from_settings();
		if ( null === $client ) {
			$line  = esc_html__( 'Not configured: set the gateway URL and the app id, key and secret.', 'switchboard-live' );
			$class = 'notice-warning';
		} else {
			$check = $client->check();
			if ( is_wp_error( $check ) ) {
				/* translators: %s: the error. */
				$line  = esc_html( sprintf( __( 'The gateway refused or did not answer a signed request: %s', 'switchboard-live' ), $check->get_error_message() ) );
				$class = 'notice-error';
			} else {
				$line  = esc_html__( 'Connected: the gateway accepted a signed request with these credentials.', 'switchboard-live' );
				$class = 'notice-success';
			}
		}
		printf( '<div class="notice %s inline" id="switchboard-live-status"><p>%s</p></div>', esc_attr( $class ), $line ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
		if ( '' === self::pusher_js_src() ) {
			printf(
				'<div class="notice notice-warning inline"><p>%s</p></div>',
				esc_html__( 'This copy of the plugin has no bundled pusher-js (it was not installed from the release zip): set the pusher-js URL, or pages get no live updates.', 'switchboard-live' )
			);
		}
	}
}
