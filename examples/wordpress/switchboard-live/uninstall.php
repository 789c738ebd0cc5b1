<?php
/**
 * Removes the plugin's option when the plugin is deleted in wp-admin.
 *
 * @package SwitchboardLive
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'switchboard_live' );
