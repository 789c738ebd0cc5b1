/* Switchboard Live: one pusher-js connection per page; approved comments, new posts and moderation notices. */
(function () {
  'use strict';
  var config = window.switchboardLiveConfig;
  if (!config || typeof window.Pusher !== 'function') return;

  var socket = config.socket;
  var options = {
    cluster: 'mt1', // required by pusher-js, unused by Switchboard
    forceTLS: socket.tls,
    wsHost: socket.host,
    httpHost: socket.host,
    // pusher-js would fetch SockJS from Pusher's CDN for browsers without WebSocket or XHR streaming.
    disabledTransports: ['sockjs'],
    channelAuthorization: {
      endpoint: config.authEndpoint,
      transport: 'ajax',
      headers: config.nonce ? { 'X-WP-Nonce': config.nonce } : {},
    },
  };
  if (socket.tls) {
    options.wssPort = socket.port;
    options.httpsPort = socket.port;
  } else {
    options.wsPort = socket.port;
    options.httpPort = socket.port;
  }
  if (socket.path) {
    options.wsPath = socket.path;
    options.httpPath = socket.path;
  }
  var pusher = new window.Pusher(config.key, options);
  window.switchboardLive = { pusher: pusher, config: config };

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function link(href, text) {
    var a = element('a', '', text);
    a.href = href;
    return a;
  }

  var notices;
  function notice(parts) {
    if (!notices) {
      notices = element('div', 'switchboard-live-notices');
      notices.setAttribute('role', 'status');
      notices.setAttribute('aria-live', 'polite');
      document.body.appendChild(notices);
    }
    var box = element('div', 'switchboard-live-notice');
    parts.forEach(function (part) {
      box.appendChild(typeof part === 'string' ? document.createTextNode(part) : part);
    });
    var close = element('button', 'switchboard-live-dismiss', '×');
    close.type = 'button';
    close.setAttribute('aria-label', config.text.dismiss);
    close.addEventListener('click', function () {
      box.remove();
    });
    box.appendChild(close);
    notices.appendChild(box);
  }

  function showComment(comment) {
    var list = document.querySelector('[data-switchboard-live-comments]');
    // Already on the page: rendered by the theme, or a repeated event.
    if (!list || document.getElementById('comment-' + comment.id)) return;
    var item = element('li', 'switchboard-live-comment comment');
    item.id = 'comment-' + comment.id;
    var meta = element('footer', 'switchboard-live-comment-meta');
    if (comment.avatar) {
      var avatar = element('img', 'avatar');
      avatar.src = comment.avatar;
      avatar.alt = '';
      avatar.width = avatar.height = 48;
      meta.appendChild(avatar);
    }
    var author = element('b', 'switchboard-live-comment-author', comment.author);
    if (comment.author_url) {
      author.textContent = '';
      var site = link(comment.author_url, comment.author);
      site.rel = 'external nofollow ugc';
      author.appendChild(site);
    }
    meta.appendChild(author);
    var time = element('time', '', comment.date);
    time.dateTime = comment.datetime;
    meta.appendChild(link(comment.link, '')).appendChild(time);
    item.appendChild(meta);
    var body = element('div', 'switchboard-live-comment-content');
    // Rendered by WordPress's comment_text filters and passed through wp_kses_post on the server.
    if (comment.html !== null) body.innerHTML = comment.html;
    else body.appendChild(link(comment.link, config.text.readComment));
    item.appendChild(body);
    list.appendChild(item);
  }

  var channels = config.channels;
  if (channels.post) pusher.subscribe(channels.post).bind('comment-approved', showComment);
  if (channels.site) {
    pusher.subscribe(channels.site).bind('post-published', function (post) {
      notice([config.text.newPost + ' ', link(post.url, post.title)]);
    });
  }
  if (channels.moderation) {
    pusher.subscribe(channels.moderation).bind('comment-held', function (held) {
      // Replacement functions: a name containing "$&" stays as written.
      var text = config.text.heldComment
        .replace('%1$s', function () {
          return held.author;
        })
        .replace('%2$s', function () {
          return held.post_title;
        });
      notice([text + ' ', link(held.moderate_url, config.text.moderate)]);
    });
  }
})();
