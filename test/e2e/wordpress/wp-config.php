<?php
// The test site's configuration, from the environment the test gives `php -S` and `php` alike.
// ABSPATH is defined by router.php or wp-php.php before WordPress loads this file.
define('DB_NAME', getenv('WP_DB_NAME'));
define('DB_USER', getenv('WP_DB_USER'));
define('DB_PASSWORD', getenv('WP_DB_PASSWORD'));
define('DB_HOST', getenv('WP_DB_HOST'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';

define('WP_HOME', getenv('WP_URL'));
define('WP_SITEURL', getenv('WP_URL'));
define('WP_CONTENT_DIR', ABSPATH . 'wp-content');
define('WP_CONTENT_URL', getenv('WP_URL') . '/wp-content');

// Fixed keys: a throwaway site.
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $sb_key) {
    define($sb_key, 'switchboard-test-' . $sb_key);
}
unset($sb_key);

define('FS_METHOD', 'direct');           // plugin uploads unpack straight into wp-content
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);  // no calls to wordpress.org; 127.0.0.1 (the gateway) stays reachable
define('WP_DEBUG', true);
define('WP_DEBUG_DISPLAY', false);       // notices go to the server's stderr, where the test reads them
define('WP_DEBUG_LOG', false);

require_once ABSPATH . 'wp-settings.php';
