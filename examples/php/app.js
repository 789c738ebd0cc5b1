/* global CSS, FormData */
// Rendering and the message form, shared by index.php (pusher-js) and echo.php (Laravel Echo).
window.demo = {
  state(text) {
    document.getElementById('state').textContent = text;
  },
  member(id, info) {
    if (document.querySelector(`#members [data-id="${CSS.escape(id)}"]`)) return;
    const li = document.createElement('li');
    li.dataset.id = id;
    li.textContent = (info && info.name) || id;
    document.getElementById('members').append(li);
  },
  memberGone(id) {
    document.querySelector(`#members [data-id="${CSS.escape(id)}"]`)?.remove();
  },
  message(data) {
    const li = document.createElement('li');
    li.textContent = `${data.user}: ${data.text} (via ${data.via})`;
    document.getElementById('messages').append(li);
  },
};

document.getElementById('say').addEventListener('submit', async (event) => {
  // Stay on the page: navigating away would drop the connection.
  event.preventDefault();
  const form = event.target;
  const res = await fetch(form.action, { method: 'POST', body: new FormData(form) });
  if (res.ok) form.elements.message.value = '';
  else window.demo.state(`publish failed (${res.status})`);
});
