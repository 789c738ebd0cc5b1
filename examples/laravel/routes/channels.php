<?php

use App\Models\User;
use Illuminate\Support\Facades\Broadcast;

// Who may join which private and presence channel. Laravel Echo asks POST /broadcasting/auth, Laravel
// runs the matching callback for the signed-in user and signs the subscription with the app secret.

// A user's own channel (private-App.Models.User.{id}): notifications arrive here. Only its owner.
Broadcast::channel('App.Models.User.{id}', function (User $user, string $id) {
    return (int) $user->id === (int) $id;
});

// A chat room (presence-room.{room}): every signed-in user, shown to the others with this user info.
Broadcast::channel('room.{room}', function (User $user, string $room) {
    return ['id' => $user->id, 'name' => $user->name];
});
