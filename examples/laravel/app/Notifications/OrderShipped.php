<?php

namespace App\Notifications;

use Illuminate\Notifications\Messages\BroadcastMessage;
use Illuminate\Notifications\Notification;

/** Broadcast on the user's own private channel, private-App.Models.User.{id}; Echo's `.notification()` gets it. */
class OrderShipped extends Notification
{
    public function __construct(public string $order)
    {
    }

    /** @return array<int, string> */
    public function via(object $notifiable): array
    {
        return ['broadcast'];
    }

    public function toBroadcast(object $notifiable): BroadcastMessage
    {
        return new BroadcastMessage(['order' => $this->order, 'text' => "Order {$this->order} has shipped"]);
    }
}
