<?php
// `php wp-php.php [--install] CODE`: runs CODE inside the test site's WordPress, as `wp eval` would
// (Debian has no wp-cli). With --install, WordPress loads in installing mode for wp_install().
define('ABSPATH', rtrim((string) getenv('WP_ROOT'), '/') . '/');
$sb_args = array_slice($argv, 1);
if (($sb_args[0] ?? '') === '--install') {
    define('WP_INSTALLING', true);
    array_shift($sb_args);
}
$_SERVER['HTTP_HOST'] = (string) parse_url((string) getenv('WP_URL'), PHP_URL_HOST) . ':' . (string) parse_url((string) getenv('WP_URL'), PHP_URL_PORT);
require ABSPATH . 'wp-load.php';
eval((string) ($sb_args[0] ?? ''));
