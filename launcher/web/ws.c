/*
 * WebSocket framing and handshake (ws.h).  Every check a server owes a
 * client's bytes is here, in the order RFC 6455 5.2 gives the header,
 * so that the bridge above only moves payloads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "ws.h"

#define WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define B64	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		"0123456789+/"

/* ---- the handshake ---- */

int
ws_has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);

	while (v != NULL && *v != '\0') {
		v += strspn(v, " \t,");
		size_t n = strcspn(v, ",");
		size_t m = n;
		while (m > 0 && (v[m - 1] == ' ' || v[m - 1] == '\t'))
			m--;
		if (m == tl && strncasecmp(v, token, tl) == 0)
			return 1;
		v += n;
	}
	return 0;
}

static int __attribute__((format(printf, 4, 5)))
refuse(int status, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return status;
}

void
ws_accept_key(const char *key, char accept[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	accept[0] = '\0';
	if (c == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(c, key, strlen(key)) == 1 &&
	    EVP_DigestUpdate(c, WS_GUID, strlen(WS_GUID)) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 20)
		EVP_EncodeBlock((unsigned char *)accept, md, 20);
	EVP_MD_CTX_free(c);
}

int
ws_handshake(const char *method, const char *upgrade, const char *connection,
    const char *key, const char *version, char accept[WS_ACCEPT_LEN + 1],
    char *err, size_t errlen)
{
	size_t n;

	if (method == NULL || strcmp(method, "GET") != 0)
		return refuse(405, err, errlen, "a WebSocket opens with GET");
	if (!ws_has_token(upgrade, "websocket"))
		return refuse(400, err, errlen, "no \"Upgrade: websocket\"");
	if (!ws_has_token(connection, "upgrade"))
		return refuse(400, err, errlen, "no \"Connection: Upgrade\"");
	if (version == NULL || strcmp(version, "13") != 0)
		return refuse(426, err, errlen, "WebSocket version %.16s: only "
		    "13 is spoken here", version != NULL ? version : "(none)");
	/* 16 bytes are 22 base64 digits and "==" */
	unsigned char k[24];
	if (key == NULL || strlen(key) != 24 || strcmp(key + 22, "==") != 0 ||
	    strspn(key, B64) != 22 ||
	    (n = (size_t)EVP_DecodeBlock(k, (const unsigned char *)key, 24)) !=
	    18)
		return refuse(400, err, errlen, "Sec-WebSocket-Key is not 16 "
		    "bytes in base64");
	ws_accept_key(key, accept);
	if (accept[0] == '\0')
		return refuse(500, err, errlen, "SHA-1 is not available");
	return 0;
}

/* ---- reading ---- */

void
ws_reader_init(struct ws_reader *r, const struct ws_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->lim = *lim;
}

/* More UTF-8 of one text; -1 at the first byte that cannot be. */
static int
utf8_feed(struct ws_reader *r, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		if (r->utf8_need == 0) {
			if (c < 0x80)
				continue;
			if ((c & 0xe0) == 0xc0) {
				r->utf8_need = 1;
				r->utf8_cp = c & 0x1f;
				r->utf8_min = 0x80;
			} else if ((c & 0xf0) == 0xe0) {
				r->utf8_need = 2;
				r->utf8_cp = c & 0x0f;
				r->utf8_min = 0x800;
			} else if ((c & 0xf8) == 0xf0) {
				r->utf8_need = 3;
				r->utf8_cp = c & 0x07;
				r->utf8_min = 0x10000;
			} else
				return -1;
			continue;
		}
		if ((c & 0xc0) != 0x80)
			return -1;
		r->utf8_cp = r->utf8_cp << 6 | (c & 0x3f);
		if (--r->utf8_need == 0 && (r->utf8_cp < (unsigned)r->utf8_min ||
		    r->utf8_cp > 0x10ffff || (r->utf8_cp >= 0xd800 &&
		    r->utf8_cp <= 0xdfff)))
			return -1;
		/* cut short what can only end badly */
		if (r->utf8_need > 0 && (r->utf8_cp << (6 * r->utf8_need)) >
		    0x10ffff)
			return -1;
	}
	return 0;
}

static int
utf8_valid(const unsigned char *p, size_t n)
{
	struct ws_reader r;

	memset(&r, 0, sizeof(r));
	return utf8_feed(&r, p, n) == 0 && r.utf8_need == 0;
}

int
ws_close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

static ssize_t __attribute__((format(printf, 6, 7)))
broken(struct ws_reader *r, int *code, int c, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	*code = c;
	r->closed = 1;
	return -1;
}

ssize_t
ws_read_frame(struct ws_reader *r, unsigned char *buf, size_t len,
    struct ws_frame *f, size_t *need, int *code, char *err, size_t errlen)
{
	size_t hdr = 2;
	uint64_t plen;

	*need = 0;
	if (r->closed)
		return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
		    "a frame after the close");
	if (len < 2)
		return 0;
	int fin = (buf[0] & 0x80) != 0, op = buf[0] & 0x0f;
	if (buf[0] & 0x70)
		return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
		    "reserved bits set (no extension was agreed on)");
	if (op != WS_OP_CONT && op != WS_OP_TEXT && op != WS_OP_BINARY &&
	    op != WS_OP_CLOSE && op != WS_OP_PING && op != WS_OP_PONG)
		return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
		    "reserved opcode 0x%x", op);
	if (!(buf[1] & 0x80))
		return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
		    "a client's frame is not masked");
	plen = buf[1] & 0x7f;
	if (plen == 126) {
		if (len < 4)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		hdr = 4;
		if (plen < 126)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a length not in its shortest form");
	} else if (plen == 127) {
		if (len < 10)
			return 0;
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		hdr = 10;
		if (plen >> 63)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a length with its top bit set");
		if (plen <= 0xffff)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a length not in its shortest form");
	}
	if (op & 0x8) {
		if (!fin)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a fragmented control frame");
		if (plen > WS_CTL_MAX)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a control frame of %llu bytes (at most 125)",
			    (unsigned long long)plen);
	} else {
		if (op == WS_OP_CONT && r->msg_op == 0)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a continuation frame with no message begun");
		if (op != WS_OP_CONT && r->msg_op != 0)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a new message before the fragmented one ended");
		if (plen > r->lim.max_frame)
			return broken(r, code, WS_CLOSE_TOO_BIG, err, errlen,
			    "a frame of %llu bytes (at most %zu)",
			    (unsigned long long)plen, r->lim.max_frame);
		uint64_t total = (op == WS_OP_CONT ? r->msg_len : 0) + plen;
		if (total > r->lim.max_message)
			return broken(r, code, WS_CLOSE_TOO_BIG, err, errlen,
			    "a message of more than %zu bytes",
			    r->lim.max_message);
	}
	hdr += 4;	/* the mask */
	if (plen > SIZE_MAX - hdr)
		return broken(r, code, WS_CLOSE_TOO_BIG, err, errlen,
		    "a frame too large to hold");
	*need = hdr + (size_t)plen;
	if (len < *need)
		return 0;

	const unsigned char *mask = buf + hdr - 4;
	unsigned char *p = buf + hdr;
	for (size_t i = 0; i < plen; i++)
		p[i] ^= mask[i & 3];
	memset(f, 0, sizeof(*f));
	f->opcode = op;
	f->fin = fin;
	f->data = p;
	f->len = (size_t)plen;
	switch (op) {
	case WS_OP_CONT:
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		f->msg_op = op == WS_OP_CONT ? r->msg_op : op;
		if (f->msg_op == WS_OP_TEXT && (utf8_feed(r, p, f->len) == -1 ||
		    (fin && r->utf8_need != 0)))
			return broken(r, code, WS_CLOSE_BAD_DATA, err, errlen,
			    "a text message that is not UTF-8");
		if (fin) {
			r->msg_op = 0;
			r->msg_len = 0;
			r->utf8_need = 0;
		} else {
			r->msg_op = f->msg_op;
			r->msg_len += plen;
		}
		break;
	case WS_OP_CLOSE:
		f->close_code = WS_CLOSE_NO_STATUS;
		if (plen == 1)
			return broken(r, code, WS_CLOSE_PROTOCOL, err, errlen,
			    "a close frame of one byte");
		if (plen >= 2) {
			f->close_code = p[0] << 8 | p[1];
			if (!ws_close_code_valid(f->close_code))
				return broken(r, code, WS_CLOSE_PROTOCOL, err,
				    errlen, "close code %d", f->close_code);
			if (!utf8_valid(p + 2, f->len - 2))
				return broken(r, code, WS_CLOSE_BAD_DATA, err,
				    errlen, "a close reason that is not UTF-8");
			f->reason = (const char *)p + 2;
			f->reason_len = f->len - 2;
		}
		r->closed = 1;
		break;
	default:	/* ping, pong */
		break;
	}
	return (ssize_t)*need;
}

/* ---- writing ---- */

size_t
ws_frame_header(unsigned char hdr[WS_HDR_MAX], int opcode, int fin,
    uint64_t len)
{
	hdr[0] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		hdr[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (unsigned char)(len >> 8);
		hdr[3] = (unsigned char)len;
		return 4;
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (unsigned char)(len >> (56 - 8 * i));
	return 10;
}

size_t
ws_close_payload(unsigned char out[WS_CTL_MAX], int code, const char *reason)
{
	size_t n = reason != NULL ? strlen(reason) : 0;

	out[0] = (unsigned char)(code >> 8);
	out[1] = (unsigned char)code;
	if (n > WS_CTL_MAX - 2) {
		n = WS_CTL_MAX - 2;
		/* not in the middle of a character */
		while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(out + 2, reason, n);
	return 2 + n;
}
