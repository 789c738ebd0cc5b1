<?php
// Router for `php -S 127.0.0.1:PORT -t SITE router.php`: WordPress without Apache or nginx.
// SITE is a private tree (symlinks into Debian's /usr/share/wordpress plus its own wp-config.php and
// wp-content). ABSPATH is set here because PHP resolves symlinks in __DIR__: left to itself, wp-load.php
// would find Debian's wp-config.php, which reads /etc/wordpress.
// Runs at global scope, as WordPress's entry files expect; its own variables are prefixed.
define('ABSPATH', rtrim($_SERVER['DOCUMENT_ROOT'], '/') . '/');

$sb_router_path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (strpos($sb_router_path, '..') !== false) {
    http_response_code(400);
    return true;
}
$sb_router_file = ABSPATH . ltrim($sb_router_path, '/');
if (is_dir($sb_router_file)) {
    $sb_router_file = rtrim($sb_router_file, '/') . '/index.php';
}
if (is_file($sb_router_file) && substr($sb_router_file, -4) !== '.php') {
    return false; // a static file: the built-in server sends it
}
if (!is_file($sb_router_file)) {
    $sb_router_file = ABSPATH . 'index.php'; // permalinks, the REST API, 404s
}
$_SERVER['SCRIPT_FILENAME'] = $sb_router_file;
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/' . substr($sb_router_file, strlen(ABSPATH));
chdir(dirname($sb_router_file));
unset($sb_router_path);
require $sb_router_file;
