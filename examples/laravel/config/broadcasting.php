<?php

return [
    // Laravel 11+ calls it BROADCAST_CONNECTION, Laravel 8–10 BROADCAST_DRIVER.
    'default' => env('BROADCAST_CONNECTION', env('BROADCAST_DRIVER', 'null')),

    'connections' => [
        // Laravel's own "pusher" connection, pointed at Switchboard by PUSHER_HOST / PUSHER_PORT /
        // PUSHER_SCHEME. It is the stock Laravel 11 block: nothing here is Switchboard-specific.
        'pusher' => [
            'driver' => 'pusher',
            'key' => env('PUSHER_APP_KEY'),
            'secret' => env('PUSHER_APP_SECRET'),
            'app_id' => env('PUSHER_APP_ID'),
            'options' => [
                'cluster' => env('PUSHER_APP_CLUSTER', 'mt1'),
                'host' => env('PUSHER_HOST') ?: 'api-'.env('PUSHER_APP_CLUSTER', 'mt1').'.pusher.com',
                'port' => (int) env('PUSHER_PORT', 443),
                'scheme' => env('PUSHER_SCHEME', 'https'),
                'encrypted' => true,
                'useTLS' => env('PUSHER_SCHEME', 'https') === 'https',
            ],
            'client_options' => [
                // Guzzle request options (Laravel 9+), e.g. 'verify' => '/path/to/ca.pem' for a private CA.
            ],
        ],

        'log' => [
            'driver' => 'log',
        ],

        'null' => [
            'driver' => 'null',
        ],
    ],

    // Demo only: what the page hands Laravel Echo (resources/views/room.blade.php), from the same
    // VITE_PUSHER_* variables a Vite build of resources/js/echo.js reads.
    'browser' => [
        'key' => env('VITE_PUSHER_APP_KEY'),
        'host' => env('VITE_PUSHER_HOST'),
        'port' => (int) env('VITE_PUSHER_PORT', 443),
        'scheme' => env('VITE_PUSHER_SCHEME', 'https'),
    ],
];
