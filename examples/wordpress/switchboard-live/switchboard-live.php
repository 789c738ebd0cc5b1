<?php
/**
 * Plugin Name:       Switchboard Live
 * Description:       Live comments and notices through a Switchboard gateway (Pusher Channels protocol): approved comments appear on open posts without a reload, new posts are announced, moderators hear of comments awaiting moderation.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * License:           MIT
 * Text Domain:       switchboard-live
 *
 * @package SwitchboardLive
 */

defined( 'ABSPATH' ) || exit;

define( 'SWITCHBOARD_LIVE_VERSION', '0.1.0' );
define( 'SWITCHBOARD_LIVE_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-switchboard-live-settings.php';
require_once __DIR__ . '/includes/class-switchboard-live-client.php';
require_once __DIR__ . '/includes/class-switchboard-live-channels.php';
require_once __DIR__ . '/includes/class-switchboard-live-publisher.php';
require_once __DIR__ . '/includes/class-switchboard-live-rest.php';
require_once __DIR__ . '/includes/class-switchboard-live-assets.php';

Switchboard_Live_Settings::register();
Switchboard_Live_Publisher::register();
Switchboard_Live_Rest::register();
Switchboard_Live_Assets::register();

/**
 * Publishes an event from site code through the configured gateway, e.g.
 * `switchboard_live_publish( 'private-wp-user-' . $user_id, 'order-shipped', array( 'order' => 42 ) )`.
 *
 * @param string|string[] $channels One channel or up to 100.
 * @param string          $event    Event name.
 * @param mixed           $data     Anything wp_json_encode() takes; browsers receive it decoded.
 * @return true|WP_Error
 */
function switchboard_live_publish( $channels, $event, $data ) {
	$client = Switchboard_Live_Client::from_settings();
	if ( null === $client ) {
		return new WP_Error( 'switchboard_live_not_configured', __( 'Switchboard Live is not configured.', 'switchboard-live' ) );
	}
	return $client->publish( (array) $channels, $event, $data );
}
