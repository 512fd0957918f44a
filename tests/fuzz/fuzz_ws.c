/*
 * libFuzzer target for the WebSocket framing and handshake
 * (launcher/web/ws.c).
 *
 * Input layout: byte 0 picks the limits (small caps when its high bit is
 * set) and, in its low bits, the largest read the stream is cut into;
 * the rest is what a client sent.  The same bytes also go, split at NULs,
 * to the handshake check.
 *
 * Invariants checked:
 *  - reading the stream whole and reading it as wsconsole.c does (a
 *    header's worth first, then the frame's "need") give the same frames
 *    (opcode, message kind, fin, payload) and end the same way (the same
 *    close code, or the same bytes left over);
 *  - every frame takes at least one byte and no more than were given; a
 *    payload fits the caps, control payloads are at most 125 bytes, and
 *    a fragmented message's continuation frames carry its kind;
 *  - once a close frame was read or an error reported, the reader only
 *    fails (1002);
 *  - text messages and close reasons that passed are UTF-8; close codes
 *    that passed are ones a peer may send;
 *  - a handshake that passes yields a 28-character accept key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#define MAXF	64

struct rec {
	int		 op, msg_op, fin, close_code;
	size_t		 len;
	unsigned char	 hash;	/* a digest of the payload */
};

struct run {
	struct rec	 f[MAXF];
	int		 n;
	int		 code;		/* 0: no error */
	size_t		 used;
};

static unsigned char
digest(const unsigned char *p, size_t n)
{
	unsigned h = 0;

	for (size_t i = 0; i < n; i++)
		h = h * 31 + p[i];
	return (unsigned char)h;
}

static void
note(struct run *run, const struct ws_frame *f, const struct ws_limits *lim,
    int *msg_op)
{
	CHECK(f->len <= lim->max_frame || (f->opcode & 8));
	if (f->opcode & 8)
		CHECK(f->len <= WS_CTL_MAX);
	if (f->opcode == WS_OP_CONT)
		CHECK(*msg_op != 0 && f->msg_op == *msg_op);
	if (f->opcode == WS_OP_TEXT || f->opcode == WS_OP_BINARY)
		CHECK(*msg_op == 0 && f->msg_op == f->opcode);
	if (!(f->opcode & 8))
		*msg_op = f->fin ? 0 : f->msg_op;
	if (f->opcode == WS_OP_CLOSE && f->len >= 2)
		CHECK(ws_close_code_valid(f->close_code));
	if (run->n < MAXF) {
		struct rec *r = &run->f[run->n];
		r->op = f->opcode;
		r->msg_op = f->msg_op;
		r->fin = f->fin;
		r->close_code = f->close_code;
		r->len = f->len;
		r->hash = digest(f->data, f->len);
	}
	run->n++;
}

/*
 * The stream read as it arrives, step more bytes at a time (0: all at
 * once), as wsconsole.c reads it: a header's worth, then the frame.
 */
static void
read_all(const unsigned char *in, size_t len, const struct ws_limits *lim,
    size_t step, struct run *run)
{
	unsigned char *buf = malloc(len + 1);
	struct ws_reader r;
	struct ws_frame f;
	size_t off = 0, need, arrived = step == 0 ? len : 0;
	int code, msg_op = 0;
	char err[160];

	memcpy(buf, in, len);
	memset(run, 0, sizeof(*run));
	ws_reader_init(&r, lim);
	while (off < len) {
		if (arrived < len)
			arrived = arrived + step < len ? arrived + step : len;
		size_t avail = arrived - off;
		size_t take = step == 0 ? avail : avail < WS_HDR_MAX ? avail :
		    WS_HDR_MAX;
		ssize_t n = ws_read_frame(&r, buf + off, take, &f, &need,
		    &code, err, sizeof(err));
		if (n == 0 && need > take && need <= avail)
			n = ws_read_frame(&r, buf + off, need, &f, &need,
			    &code, err, sizeof(err));
		if (n == 0 && arrived < len)
			continue;	/* more is coming */
		if (n < 0) {
			CHECK(code == WS_CLOSE_PROTOCOL ||
			    code == WS_CLOSE_BAD_DATA ||
			    code == WS_CLOSE_TOO_BIG);
			CHECK(err[0] != '\0');
			run->code = code;
			/* dead from now on */
			CHECK(ws_read_frame(&r, buf + off, avail, &f, &need,
			    &code, err, sizeof(err)) == -1);
			CHECK(code == WS_CLOSE_PROTOCOL);
			break;
		}
		if (n == 0)
			break;
		CHECK((size_t)n <= avail);
		note(run, &f, lim, &msg_op);
		off += (size_t)n;
		if (f.opcode == WS_OP_CLOSE) {
			if (off < len) {
				CHECK(ws_read_frame(&r, buf + off, len - off,
				    &f, &need, &code, err, sizeof(err)) == -1);
				CHECK(code == WS_CLOSE_PROTOCOL);
			}
			break;
		}
	}
	run->used = off;
	free(buf);
}

static void
handshake(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 6), *part[5];
	char accept[WS_ACCEPT_LEN + 1], err[160];

	memcpy(s, data, size);
	memset(s + size, 0, 6);
	part[0] = s;
	for (int i = 1; i < 5; i++)
		part[i] = part[i - 1] + strlen(part[i - 1]) + 1;
	int st = ws_handshake(part[0], part[1], part[2], part[3], part[4],
	    accept, err, sizeof(err));
	if (st == 0)
		CHECK(strlen(accept) == WS_ACCEPT_LEN);
	else
		CHECK(st >= 400 && st < 600 && err[0] != '\0');
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, pieces;

	handshake(data, size);
	if (size < 1)
		return 0;
	struct ws_limits lim = { 1 << 20, 4 << 20 };
	if (data[0] & 0x80) {
		lim.max_frame = 1 + (data[0] & 0x0f) * 8;
		lim.max_message = lim.max_frame * 3;
	}
	size_t step = 1 + ((data[0] >> 4) & 0x07);
	read_all(data + 1, size - 1, &lim, 0, &whole);
	read_all(data + 1, size - 1, &lim, step == 8 ? 4096 : step, &pieces);
	CHECK(whole.n == pieces.n);
	CHECK(whole.code == pieces.code);
	CHECK(whole.used == pieces.used);
	for (int i = 0; i < whole.n && i < MAXF; i++)
		CHECK(memcmp(&whole.f[i], &pieces.f[i], sizeof(whole.f[i])) ==
		    0);
	return 0;
}
