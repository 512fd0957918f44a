/*
 * WebSocket: ws.c's handshake check and frames (RFC 6455's examples,
 * every length form, fragmentation with control frames between, every
 * malformed frame a client could send and the close code it earns), and
 * wsconsole.c's bridge on a real evhttp server: the 101 answer, bytes
 * both ways, ping, a refused opening, protocol errors, either side
 * closing, and backpressure both ways.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "testutil.h"
#include "ws.h"
#include "wsconsole.h"

static const struct ws_limits lim = { 1 << 20, 4 << 20 };
static const unsigned char MASK[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A client's frame (masked with MASK) into out; its length. */
static size_t
cframe(unsigned char *out, int fin, int op, const void *data, size_t len)
{
	size_t n = ws_frame_header(out, op, fin, len);

	out[1] |= 0x80;
	memcpy(out + n, MASK, 4);
	n += 4;
	for (size_t i = 0; i < len; i++)
		out[n + i] = ((const unsigned char *)data)[i] ^ MASK[i & 3];
	return n + len;
}

/* Read buf as one frame: its return value; the close code in *code. */
static ssize_t
one(struct ws_reader *r, unsigned char *buf, size_t len, struct ws_frame *f,
    int *code)
{
	size_t need;
	char err[160];

	*code = 0;
	return ws_read_frame(r, buf, len, f, &need, code, err, sizeof(err));
}

/* A lone frame from a fresh reader fails with code. */
static void
fails(const unsigned char *buf, size_t len, int want)
{
	struct ws_reader r;
	struct ws_frame f;
	unsigned char copy[256];
	int code;

	assert_true(len <= sizeof(copy));
	memcpy(copy, buf, len);
	ws_reader_init(&r, &lim);
	assert_int_equal(one(&r, copy, len, &f, &code), -1);
	assert_int_equal(code, want);
}

static void
test_accept(void **state)
{
	char a[WS_ACCEPT_LEN + 1], err[160];

	(void)state;
	/* RFC 6455 1.3 */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", a);
	assert_string_equal(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 0);
	assert_string_equal(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* tokens in lists, any case */
	assert_int_equal(ws_handshake("GET", "WebSocket", "keep-alive, Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 0);
	assert_int_equal(ws_handshake("GET", "h2c,  websocket ", "upgrade\t",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 0);
	/* refused */
	assert_int_equal(ws_handshake("POST", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 405);
	assert_int_equal(ws_handshake("GET", NULL, "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 400);
	assert_non_null(strstr(err, "Upgrade: websocket"));
	assert_int_equal(ws_handshake("GET", "websockets", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 400);
	assert_int_equal(ws_handshake("GET", "websocket", "keep-alive",
	    "dGhlIHNhbXBsZSBub25jZQ==", "13", a, err, sizeof(err)), 400);
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", "8", a, err, sizeof(err)), 426);
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ==", NULL, a, err, sizeof(err)), 426);
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade", NULL,
	    "13", a, err, sizeof(err)), 400);
	/* 15 bytes, 17 bytes, a stray character, no padding */
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ", "13", a, err, sizeof(err)), 400);
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQ=", "13", a, err, sizeof(err)), 400);
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZSBub25jZQAA", "13", a, err, sizeof(err)), 400);
	assert_int_equal(ws_handshake("GET", "websocket", "Upgrade",
	    "dGhlIHNhbXBsZ*Bub25jZQ==", "13", a, err, sizeof(err)), 400);
	assert_non_null(strstr(err, "Sec-WebSocket-Key"));
	assert_true(ws_has_token("base64, Binary", "binary"));
	assert_false(ws_has_token("binaryx", "binary"));
	assert_false(ws_has_token(NULL, "binary"));
	assert_false(ws_has_token("", "binary"));
}

static void
test_frames(void **state)
{
	struct ws_reader r;
	struct ws_frame f;
	size_t need;
	char err[160];
	int code;
	/* RFC 6455 5.7: a masked "Hello" */
	unsigned char hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
	    0x9f, 0x4d, 0x51, 0x58 };

	(void)state;
	ws_reader_init(&r, &lim);
	/* a byte at a time: nothing until it is whole */
	for (size_t i = 0; i < sizeof(hello); i++) {
		ssize_t n = ws_read_frame(&r, hello, i, &f, &need, &code, err,
		    sizeof(err));
		assert_int_equal(n, 0);
		assert_int_equal(need, i >= 2 ? sizeof(hello) : 0);
	}
	assert_int_equal(one(&r, hello, sizeof(hello), &f, &code),
	    sizeof(hello));
	assert_int_equal(f.opcode, WS_OP_TEXT);
	assert_int_equal(f.msg_op, WS_OP_TEXT);
	assert_true(f.fin);
	assert_int_equal(f.len, 5);
	assert_memory_equal(f.data, "Hello", 5);

	/* 16-bit and 64-bit lengths; a frame followed by more bytes */
	static unsigned char big[70000 + WS_HDR_MAX + 64], data[70000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	size_t n = cframe(big, 1, WS_OP_BINARY, data, 256);
	assert_int_equal(n, 4 + 4 + 256);
	big[n] = 0x89;	/* the start of the next one */
	assert_int_equal(one(&r, big, n + 1, &f, &code), (ssize_t)n);
	assert_int_equal(f.len, 256);
	assert_memory_equal(f.data, data, 256);
	n = cframe(big, 1, WS_OP_BINARY, data, sizeof(data));
	assert_int_equal(n, 10 + 4 + sizeof(data));
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.len, sizeof(data));
	assert_memory_equal(f.data, data, sizeof(data));
	/* empty frames */
	n = cframe(big, 1, WS_OP_BINARY, "", 0);
	assert_int_equal(one(&r, big, n, &f, &code), 6);
	assert_int_equal(f.len, 0);

	/* fragments, a ping between them, UTF-8 cut inside a character */
	const char *text = "h\xc3\xa9llo \xe2\x82\xac";	/* héllo € */
	n = cframe(big, 0, WS_OP_TEXT, text, 2);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.msg_op, WS_OP_TEXT);
	assert_false(f.fin);
	n = cframe(big, 1, WS_OP_PING, "p", 1);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.opcode, WS_OP_PING);
	assert_memory_equal(f.data, "p", 1);
	n = cframe(big, 0, WS_OP_CONT, text + 2, 8);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.opcode, WS_OP_CONT);
	assert_int_equal(f.msg_op, WS_OP_TEXT);
	n = cframe(big, 1, WS_OP_CONT, text + 10, strlen(text) - 10);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_true(f.fin);
	assert_int_equal(f.msg_op, WS_OP_TEXT);
	/* binary messages are not UTF-8 */
	n = cframe(big, 1, WS_OP_BINARY, "\xff\xfe", 2);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	n = cframe(big, 1, WS_OP_PONG, "", 0);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.opcode, WS_OP_PONG);

	/* close: with a code and reason, then nothing more */
	unsigned char cp[WS_CTL_MAX];
	size_t cl = ws_close_payload(cp, 1001, "bye");
	n = cframe(big, 1, WS_OP_CLOSE, cp, cl);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.opcode, WS_OP_CLOSE);
	assert_int_equal(f.close_code, 1001);
	assert_int_equal(f.reason_len, 3);
	assert_memory_equal(f.reason, "bye", 3);
	n = cframe(big, 1, WS_OP_TEXT, "x", 1);
	assert_int_equal(one(&r, big, n, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	/* a close without a code */
	ws_reader_init(&r, &lim);
	n = cframe(big, 1, WS_OP_CLOSE, "", 0);
	assert_int_equal(one(&r, big, n, &f, &code), (ssize_t)n);
	assert_int_equal(f.close_code, WS_CLOSE_NO_STATUS);
}

static void
test_malformed(void **state)
{
	unsigned char b[256];
	size_t n;

	(void)state;
	/* not masked */
	unsigned char plain[] = { 0x81, 0x01, 'x' };
	fails(plain, sizeof(plain), WS_CLOSE_PROTOCOL);
	/* reserved bits, reserved opcodes */
	for (int bit = 0x10; bit <= 0x40; bit <<= 1) {
		n = cframe(b, 1, WS_OP_TEXT, "x", 1);
		b[0] |= (unsigned char)bit;
		fails(b, n, WS_CLOSE_PROTOCOL);
	}
	for (int op = 3; op <= 0xf; op++) {
		if (op >= 8 && op <= 0xa)
			continue;
		n = cframe(b, 1, op, "x", 1);
		fails(b, n, WS_CLOSE_PROTOCOL);
	}
	/* a continuation with nothing begun */
	n = cframe(b, 1, WS_OP_CONT, "x", 1);
	fails(b, n, WS_CLOSE_PROTOCOL);
	/* control frames: fragmented, too long (126 in 16 bits) */
	n = cframe(b, 0, WS_OP_PING, "x", 1);
	fails(b, n, WS_CLOSE_PROTOCOL);
	memset(b, 0, sizeof(b));
	b[0] = 0x89;
	b[1] = 0x80 | 126;
	b[2] = 0;
	b[3] = 126;
	fails(b, 4 + 4 + 126, WS_CLOSE_PROTOCOL);
	/* lengths not in their shortest form; the top bit of 64 */
	unsigned char l16[] = { 0x82, 0x80 | 126, 0x00, 0x05 };
	fails(l16, sizeof(l16), WS_CLOSE_PROTOCOL);
	unsigned char l64[] = { 0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0xff,
	    0xff };
	fails(l64, sizeof(l64), WS_CLOSE_PROTOCOL);
	unsigned char top[] = { 0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 1, 0, 0 };
	fails(top, sizeof(top), WS_CLOSE_PROTOCOL);
	/* too big: the header alone tells */
	unsigned char huge[] = { 0x82, 0x80 | 127, 0, 0, 0, 0, 0x40, 0, 0, 0 };
	fails(huge, sizeof(huge), WS_CLOSE_TOO_BIG);
	/* text that is not UTF-8 */
	static const char *bad[] = {
		"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xc3", "\xc3(", "\x80", "\xf8\x88\x80\x80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = cframe(b, 1, WS_OP_TEXT, bad[i], strlen(bad[i]));
		fails(b, n, WS_CLOSE_BAD_DATA);
	}
	/* close frames: one byte, codes no peer may send, a bad reason */
	n = cframe(b, 1, WS_OP_CLOSE, "\x03", 1);
	fails(b, n, WS_CLOSE_PROTOCOL);
	static const int codes[] = { 0, 999, 1004, 1005, 1006, 1012, 1015,
	    2999, 5000, 65535 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		unsigned char cp[2] = { (unsigned char)(codes[i] >> 8),
		    (unsigned char)codes[i] };
		n = cframe(b, 1, WS_OP_CLOSE, cp, 2);
		fails(b, n, WS_CLOSE_PROTOCOL);
	}
	n = cframe(b, 1, WS_OP_CLOSE, "\x03\xe8\xff", 3);
	fails(b, n, WS_CLOSE_BAD_DATA);

	/* a new message while one is fragmented; the cap on messages */
	struct ws_reader r;
	struct ws_frame f;
	int code;
	struct ws_limits small = { 100, 150 };
	ws_reader_init(&r, &small);
	n = cframe(b, 0, WS_OP_BINARY, "x", 1);
	assert_int_equal(one(&r, b, n, &f, &code), (ssize_t)n);
	n = cframe(b, 1, WS_OP_TEXT, "x", 1);
	assert_int_equal(one(&r, b, n, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	char z[101];
	memset(z, 'z', sizeof(z));
	ws_reader_init(&r, &small);
	n = cframe(b, 1, WS_OP_BINARY, z, 101);
	assert_int_equal(one(&r, b, n, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_TOO_BIG);
	ws_reader_init(&r, &small);
	n = cframe(b, 0, WS_OP_BINARY, z, 100);
	assert_int_equal(one(&r, b, n, &f, &code), (ssize_t)n);
	n = cframe(b, 1, WS_OP_CONT, z, 51);
	assert_int_equal(one(&r, b, n, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_TOO_BIG);
	/* after an error, nothing */
	n = cframe(b, 1, WS_OP_PING, "", 0);
	assert_int_equal(one(&r, b, n, &f, &code), -1);
}

static void
test_write(void **state)
{
	unsigned char h[WS_HDR_MAX], p[WS_CTL_MAX];
	char reason[200];

	(void)state;
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 1, 125), 2);
	assert_int_equal(h[0], 0x82);
	assert_int_equal(h[1], 125);
	assert_int_equal(ws_frame_header(h, WS_OP_TEXT, 0, 126), 4);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2] << 8 | h[3], 126);
	assert_int_equal(ws_frame_header(h, WS_OP_BINARY, 1, 65536), 10);
	assert_int_equal(h[1], 127);
	assert_int_equal(h[7], 1);
	assert_int_equal(h[8], 0);
	assert_int_equal(h[9], 0);
	assert_int_equal(ws_close_payload(p, 1002, "bad"), 5);
	assert_int_equal(p[0] << 8 | p[1], 1002);
	assert_memory_equal(p + 2, "bad", 3);
	/* a long reason is cut, not inside a character */
	memset(reason, 'a', sizeof(reason));
	memcpy(reason + 122, "\xe2\x82\xac", 3);	/* bytes 122-124 */
	reason[199] = '\0';
	assert_int_equal(ws_close_payload(p, 1000, reason), 2 + 122);
	assert_true(ws_close_code_valid(1000));
	assert_true(ws_close_code_valid(4999));
	assert_false(ws_close_code_valid(1005));
}

/* ---- wsconsole on a real evhttp server ---- */

static struct event_base *base;
static int console_end = -1;	/* the test's end of the console */
static struct wsconsole_limits wlim;

static void
handler(struct evhttp_request *req, void *arg)
{
	int sv[2];

	(void)arg;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	console_end = sv[0];
	wsconsole_upgrade(req, sv[1], &wlim);
}

static struct evhttp *
server(int *port)
{
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *s;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_non_null(http);
	evhttp_set_gencb(http, handler, NULL);
	s = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	assert_non_null(s);
	int lfd = evhttp_bound_socket_get_fd(s);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	/* small kernel buffers (accepted sockets inherit them): backpressure */
	int small = 64 << 10;
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(lfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	*port = ntohs(sin.sin_port);
	return http;
}

static void
loop_a_bit(void)
{
	for (int i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Read exactly n bytes from fd, running the server meanwhile. */
static int
get(int fd, void *buf, size_t n)
{
	size_t got = 0;
	long long end = tu_now_ms() + 5000;

	while (got < n && tu_now_ms() < end) {
		loop_a_bit();
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1) <= 0)
			continue;
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r == 0)
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return got == n ? 0 : -1;
}

/* EOF on fd (within 5 s), the server running. */
static int
eof(int fd)
{
	long long end = tu_now_ms() + 5000;
	char c;

	while (tu_now_ms() < end) {
		loop_a_bit();
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1) <= 0)
			continue;
		ssize_t r = read(fd, &c, 1);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 1;
		if (r > 0)
			return 0;
	}
	return 0;
}

static void
put(int fd, const void *buf, size_t n)
{
	size_t off = 0;
	long long end = tu_now_ms() + 5000;

	while (off < n && tu_now_ms() < end) {
		ssize_t r = write(fd, (const char *)buf + off, n - off);
		if (r > 0)
			off += (size_t)r;
		loop_a_bit();
	}
	assert_int_equal(off, n);
}

/* A server frame (unmasked): its opcode, payload into buf (len). */
static int
server_frame(int fd, unsigned char *buf, size_t cap, size_t *len)
{
	unsigned char h[10];

	if (get(fd, h, 2) == -1)
		return -1;
	assert_int_equal(h[1] & 0x80, 0);	/* servers never mask */
	size_t n = h[1] & 0x7f;
	if (n == 126) {
		assert_int_equal(get(fd, h + 2, 2), 0);
		n = (size_t)h[2] << 8 | h[3];
	} else if (n == 127) {
		assert_int_equal(get(fd, h + 2, 8), 0);
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | h[2 + i];
	}
	assert_true(n <= cap);
	if (n > 0)
		assert_int_equal(get(fd, buf, n), 0);
	*len = n;
	assert_true(h[0] & 0x80);
	return h[0] & 0x0f;
}

/* A client connected and upgraded (or the answer's status line). */
static int
client(int port, const char *extra, char *status, size_t slen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	char req[512], resp[1024] = "";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	int small = 64 << 10;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		assert_int_equal(errno, EINPROGRESS);
	snprintf(req, sizeof(req), "GET /console HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n%s\r\n", extra);
	put(fd, req, strlen(req));
	/* the answer's head, a byte at a time */
	size_t n = 0;
	while (n + 1 < sizeof(resp) && strstr(resp, "\r\n\r\n") == NULL) {
		if (get(fd, resp + n, 1) == -1)
			break;
		resp[++n] = '\0';
	}
	strlcpy(status, resp, slen);
	return fd;
}

#define UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n" \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n"

static void
test_bridge(void **state)
{
	int port;
	char head[1024];
	unsigned char b[256];
	size_t n;

	(void)state;
	base = event_base_new();
	memset(&wlim, 0, sizeof(wlim));
	struct evhttp *http = server(&port);
	int fd = client(port, UPGRADE, head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 101 Switching Protocols\r\n"));
	assert_non_null(strstr(head,
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	assert_true(console_end >= 0);
	assert_null(strstr(head, "Sec-WebSocket-Protocol"));

	/* console to browser: a binary frame */
	tu_write_str(console_end, "RFB 003.008\n");
	assert_int_equal(server_frame(fd, b, sizeof(b), &n), WS_OP_BINARY);
	assert_int_equal(n, 12);
	assert_memory_equal(b, "RFB 003.008\n", 12);
	/* browser to console: binary and text, fragmented or not */
	unsigned char f[256];
	size_t fl = cframe(f, 1, WS_OP_BINARY, "abc", 3);
	fl += cframe(f + fl, 0, WS_OP_TEXT, "de", 2);
	fl += cframe(f + fl, 1, WS_OP_PING, "hi", 2);
	fl += cframe(f + fl, 1, WS_OP_CONT, "f", 1);
	put(fd, f, fl);
	char got[7] = "";
	assert_int_equal(get(console_end, got, 6), 0);
	assert_string_equal(got, "abcdef");
	assert_int_equal(server_frame(fd, b, sizeof(b), &n), WS_OP_PONG);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "hi", 2);

	/* the browser closes: the close echoed, the console's end goes */
	unsigned char cp[WS_CTL_MAX];
	fl = cframe(f, 1, WS_OP_CLOSE, cp, ws_close_payload(cp, 1001, "tab"));
	put(fd, f, fl);
	assert_int_equal(server_frame(fd, b, sizeof(b), &n), WS_OP_CLOSE);
	assert_int_equal(n, 2);
	assert_int_equal(b[0] << 8 | b[1], 1001);
	assert_true(eof(fd));
	assert_true(eof(console_end));
	close(fd);
	close(console_end);

	/* the console closes: its last bytes, then close 1000 */
	fd = client(port, UPGRADE, head, sizeof(head));
	assert_non_null(strstr(head, " 101 "));
	tu_write_str(console_end, "bye");
	close(console_end);
	assert_int_equal(server_frame(fd, b, sizeof(b), &n), WS_OP_BINARY);
	assert_memory_equal(b, "bye", 3);
	assert_int_equal(server_frame(fd, b, sizeof(b), &n), WS_OP_CLOSE);
	assert_int_equal(b[0] << 8 | b[1], 1000);
	assert_true(eof(fd));
	close(fd);

	/* a protocol error: close 1002, both ends go */
	fd = client(port, UPGRADE, head, sizeof(head));
	unsigned char plain[] = { 0x82, 0x01, 'x' };
	put(fd, plain, sizeof(plain));
	assert_int_equal(server_frame(fd, b, sizeof(b), &n), WS_OP_CLOSE);
	assert_int_equal(b[0] << 8 | b[1], 1002);
	assert_true(eof(fd));
	assert_true(eof(console_end));
	close(fd);
	close(console_end);

	/* "binary" offered (older noVNC): chosen */
	fd = client(port, UPGRADE "Sec-WebSocket-Protocol: binary\r\n", head,
	    sizeof(head));
	assert_non_null(strstr(head, "\r\nSec-WebSocket-Protocol: binary\r\n"));
	close(fd);
	assert_true(eof(console_end));
	close(console_end);

	/* the browser just goes: so does the console's end */
	fd = client(port, UPGRADE, head, sizeof(head));
	close(fd);
	assert_true(eof(console_end));
	close(console_end);
	console_end = -1;

	/* no opening: refused, the descriptor closed */
	fd = client(port, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n", head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 400 "));
	assert_true(eof(console_end));
	close(console_end);
	close(fd);
	fd = client(port, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 8\r\n", head, sizeof(head));
	assert_non_null(strstr(head, "HTTP/1.1 426 "));
	assert_non_null(strstr(head, "Sec-WebSocket-Version: 13\r\n"));
	close(console_end);
	close(fd);
	evhttp_free(http);
	event_base_free(base);
}

/* Neither side reads: the other stops being read, nothing is lost. */
static void
test_backpressure(void **state)
{
	int port;
	char head[1024];
	enum { TOTAL = 8 << 20, CH = 60000 };

	(void)state;
	base = event_base_new();
	memset(&wlim, 0, sizeof(wlim));
	wlim.high_water = 64 << 10;
	struct evhttp *http = server(&port);
	int fd = client(port, UPGRADE, head, sizeof(head));
	assert_non_null(strstr(head, " 101 "));
	fcntl(console_end, F_SETFL, O_NONBLOCK);
	unsigned char *data = malloc(TOTAL), *seen = malloc(TOTAL);
	for (size_t i = 0; i < TOTAL; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 12));

	/* browser to console: frames of CH bytes, the console not reading */
	unsigned char *frames = malloc(TOTAL + TOTAL / CH * 16 + 16);
	size_t fl = 0;
	for (size_t off = 0; off < TOTAL; off += CH)
		fl += cframe(frames + fl, 1, WS_OP_BINARY, data + off,
		    off + CH <= TOTAL ? CH : TOTAL - off);
	size_t sent = 0;
	for (int i = 0; i < 2000; i++) {
		ssize_t r = write(fd, frames + sent, fl - sent);
		if (r > 0)
			sent += (size_t)r;
		loop_a_bit();
	}
	/* it stopped short: the bridge stopped reading */
	assert_true(sent < fl);
	size_t got = 0;
	long long end = tu_now_ms() + 20000;
	while (got < TOTAL && tu_now_ms() < end) {
		ssize_t r = read(console_end, seen + got, TOTAL - got);
		if (r > 0)
			got += (size_t)r;
		if (sent < fl && (r = write(fd, frames + sent, fl - sent)) > 0)
			sent += (size_t)r;
		loop_a_bit();
	}
	assert_int_equal(got, TOTAL);
	assert_memory_equal(seen, data, TOTAL);

	/* console to browser, the browser not reading */
	sent = 0;
	for (int i = 0; i < 2000; i++) {
		ssize_t r = write(console_end, data + sent, TOTAL - sent);
		if (r > 0)
			sent += (size_t)r;
		loop_a_bit();
	}
	assert_true(sent < TOTAL);
	got = 0;
	fcntl(fd, F_SETFL, 0);
	end = tu_now_ms() + 20000;
	while (got < TOTAL && tu_now_ms() < end) {
		size_t n;
		if (sent < TOTAL) {
			ssize_t r = write(console_end, data + sent,
			    TOTAL - sent);
			if (r > 0)
				sent += (size_t)r;
		}
		assert_int_equal(server_frame(fd, seen + got, TOTAL - got, &n),
		    WS_OP_BINARY);
		got += n;
	}
	assert_int_equal(got, TOTAL);
	assert_memory_equal(seen, data, TOTAL);
	free(frames);
	free(data);
	free(seen);
	close(fd);
	close(console_end);
	console_end = -1;
	evhttp_free(http);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_backpressure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
