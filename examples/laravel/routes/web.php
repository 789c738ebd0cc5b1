<?php

use App\Events\MessagePosted;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\Route;

Route::get('/', function (Request $request) {
    return view('room', [
        'user' => $request->user(),
        'room' => 'lobby',
        // What Laravel Echo needs in the browser (a Vite build reads the same VITE_PUSHER_* variables).
        'echo' => config('broadcasting.browser'),
    ]);
})->middleware('auth');

Route::get('/login', fn () => view('login'))->name('login');

Route::post('/login', function (Request $request) {
    if (! Auth::attempt($request->only('email', 'password'))) {
        return redirect()->route('login')->with('error', 'Wrong e-mail or password.');
    }
    $request->session()->regenerate();

    return redirect('/');
});

Route::post('/logout', function (Request $request) {
    Auth::logout();
    $request->session()->invalidate();

    return redirect()->route('login');
});

// The page posts with an X-Socket-ID header (Echo's axios/jQuery interceptors add it for you; with
// fetch, pass echo.socketId()), so toOthers() leaves the sender's own socket out.
Route::post('/rooms/{room}/messages', function (Request $request, string $room) {
    $text = trim((string) $request->input('text'));
    abort_if($text === '' || mb_strlen($text) > 500, 422, 'A message is 1 to 500 characters.');
    broadcast(new MessagePosted($request->user(), $room, $text))->toOthers();

    return response()->json(['sent' => true]);
})->middleware('auth')->where('room', '[A-Za-z0-9_-]{1,64}');

// Demo convenience: the browser builds of pusher-js and Laravel Echo from the repository's node_modules
// (the example runs without a network). A real app bundles them: npm install laravel-echo pusher-js.
Route::get('/js/{library}', function (string $library) {
    $files = ['pusher.js' => 'pusher-js/dist/web/pusher.min.js', 'echo.js' => 'laravel-echo/dist/echo.iife.js'];
    abort_unless(isset($files[$library]), 404);
    $path = config('app.node_modules').'/'.$files[$library];
    abort_unless(is_file($path), 404, "$path is missing: run npm install at the repository root.");

    return response()->file($path, ['Content-Type' => 'application/javascript', 'Cache-Control' => 'max-age=3600']);
});
