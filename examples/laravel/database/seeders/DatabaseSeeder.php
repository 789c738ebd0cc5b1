<?php

namespace Database\Seeders;

use App\Models\User;
use Illuminate\Database\Seeder;
use Illuminate\Support\Facades\Hash;

class DatabaseSeeder extends Seeder
{
    /** Two people to try the demo with: sign in as each in a different browser. */
    public function run(): void
    {
        User::create(['name' => 'Alice', 'email' => 'alice@example.com', 'password' => Hash::make('password')]);
        User::create(['name' => 'Bob', 'email' => 'bob@example.com', 'password' => Hash::make('password')]);
    }
}
