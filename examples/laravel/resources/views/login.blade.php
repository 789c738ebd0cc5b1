<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sign in · Switchboard × Laravel</title>
</head>
<body>
  <h1>Sign in</h1>
  @if (session('error'))
    <p id="error">{{ session('error') }}</p>
  @endif
  <form method="post" action="/login">
    @csrf
    <label>E-mail <input name="email" type="email" value="alice@example.com"></label>
    <label>Password <input name="password" type="password" value="password"></label>
    <button>Sign in</button>
  </form>
  <p>Demo users: alice@example.com and bob@example.com, password "password".</p>
</body>
</html>
