<?php

// `php artisan serve` runs PHP's built-in server with this router: files under public/ as they are,
// everything else through Laravel.
$uri = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');

if ($uri !== '/' && is_file(__DIR__.'/public'.$uri)) {
    return false;
}

require_once __DIR__.'/public/index.php';
