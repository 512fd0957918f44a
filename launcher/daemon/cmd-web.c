/*
 * The web manager's requests.  web-hello (the web manager's user only)
 * registers the URL it serves, for as long as its connection lasts;
 * web-login gives the calling user (SO_PEERCRED, or on-behalf-of) a
 * one-time link to that URL; web-redeem (the web manager's user only)
 * trades the link's token for the uid it was made for.  A token is 256
 * random bits, good once, for WEB_TOKEN_SECONDS, compared in constant
 * time.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctcmp.h"
#include "daemon.h"
#include "dispatch.h"
#include "log.h"
#include "names.h"
#include "req.h"
#include "util.h"
#include "vm.h"
#include "webtrust.h"
#include "xalloc.h"

#define WEB_TOKEN_BYTES		32
#define WEB_TOKEN_SECONDS	300
#define WEB_TOKENS_MAX		64	/* outstanding; the oldest goes first */

struct webtoken {
	char		 hex[2 * WEB_TOKEN_BYTES + 1];
	uid_t		 uid;
	int64_t		 expires;	/* mono_ms */
};

struct webauth {
	char			*url;		/* NULL: no web manager */
	struct req_closer	 closer;	/* its connection */
	int			 watching;
	struct webtoken		 tokens[WEB_TOKENS_MAX];
	size_t			 ntokens;
};

static struct webauth *
webauth(struct daemon *d)
{
	if (d->webauth == NULL)
		d->webauth = xcalloc(1, sizeof(*d->webauth));
	return d->webauth;
}

int
web_trusted(const struct req *r)
{
	return r->d->has_web_uid && r->peer_uid == r->d->web_uid &&
	    r->uid == r->peer_uid;
}

int
web_set_user(struct daemon *d, const char *user, char *err, size_t errlen)
{
	const char *e;

	if (user[0] != '\0' && strspn(user, "0123456789") == strlen(user)) {
		long long v = strtonum(user, 0, 0x7fffffff, &e);
		if (e != NULL) {
			snprintf(err, errlen, "--web-user %s: %s", user, e);
			return -1;
		}
		d->web_uid = (uid_t)v;
	} else {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			snprintf(err, errlen, "--web-user %s: no such user",
			    user);
			return -1;
		}
		d->web_uid = pw->pw_uid;
	}
	d->has_web_uid = 1;
	return 0;
}

static void
forget_url(struct webauth *w)
{
	if (w->watching)
		req_closer_cancel(&w->closer);
	w->watching = 0;
	free(w->url);
	w->url = NULL;
}

void
web_fini(struct daemon *d)
{
	if (d->webauth == NULL)
		return;
	forget_url(d->webauth);
	explicit_bzero(d->webauth, sizeof(*d->webauth));
	free(d->webauth);
	d->webauth = NULL;
}

static void
hello_gone(void *arg)
{
	struct webauth *w = arg;

	log_info("the web manager at %s left", w->url);
	w->watching = 0;	/* told: inert */
	free(w->url);
	w->url = NULL;
}

/* Trusted peer only; -1 answered. */
static int
need_trusted(struct req *r)
{
	if (web_trusted(r))
		return 0;
	if (!r->d->has_web_uid)
		req_error(r, ERR_PERMISSION, "%s: this qlaunchd trusts no web "
		    "manager (qlaunchd --web-user)", r->cmd);
	else
		req_error(r, ERR_PERMISSION, "%s: only the web manager's user "
		    "(uid %lu) may do that", r->cmd,
		    (unsigned long)r->d->web_uid);
	return -1;
}

static void
d_web_hello(struct req *r, struct vm *vm)
{
	const char *url = req_str(r, "url");

	(void)vm;
	if (need_trusted(r) == -1)
		return;
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) || strlen(url) > 512 ||
	    strpbrk(url, " \t\r\n\"'<>?#") != NULL) {
		req_error(r, ERR_GENERIC, "web-hello needs \"url\", an "
		    "http:// or https:// URL without a query");
		return;
	}
	struct webauth *w = webauth(r->d);
	forget_url(w);
	w->url = xstrdup(url);
	if (req_on_close(r, &w->closer, hello_gone, w) == 0)
		w->watching = 1;
	log_info("the web manager serves %s", url);
	req_return(r, NULL);
}

static void
prune(struct webauth *w, int64_t now)
{
	size_t j = 0;

	for (size_t i = 0; i < w->ntokens; i++)
		if (w->tokens[i].expires > now)
			w->tokens[j++] = w->tokens[i];
		else
			explicit_bzero(&w->tokens[i], sizeof(w->tokens[i]));
	w->ntokens = j;
}

static void
d_web_login(struct req *r, struct vm *vm)
{
	struct webauth *w = webauth(r->d);
	unsigned char raw[WEB_TOKEN_BYTES];
	int64_t now = mono_ms();

	(void)vm;
	if (w->url == NULL) {
		req_error(r, ERR_NOT_FOUND, "no web manager runs for this "
		    "qlaunchd (start one with 'qlaunch web')");
		return;
	}
	prune(w, now);
	if (w->ntokens == WEB_TOKENS_MAX) {
		memmove(&w->tokens[0], &w->tokens[1],
		    (WEB_TOKENS_MAX - 1) * sizeof(w->tokens[0]));
		w->ntokens--;
	}
	struct webtoken *t = &w->tokens[w->ntokens++];
	arc4random_buf(raw, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(t->hex + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	t->uid = r->uid;
	t->expires = now + WEB_TOKEN_SECONDS * 1000;

	char link[1024];
	snprintf(link, sizeof(link), "%s/login?token=%s", w->url, t->hex);
	struct json_object *ret = json_object_new_object();
	json_object_object_add(ret, "url", json_object_new_string(link));
	json_object_object_add(ret, "uid", json_object_new_int64(r->uid));
	json_object_object_add(ret, "expires-in",
	    json_object_new_int(WEB_TOKEN_SECONDS));
	log_info("a web login link for uid %lu", (unsigned long)r->uid);
	req_return(r, ret);
}

static void
d_web_redeem(struct req *r, struct vm *vm)
{
	const char *tok = req_str(r, "token");
	struct webauth *w = webauth(r->d);
	size_t found = (size_t)-1;

	(void)vm;
	if (need_trusted(r) == -1)
		return;
	prune(w, mono_ms());
	if (tok != NULL && strlen(tok) == 2 * WEB_TOKEN_BYTES)
		/* every token compared, in constant time */
		for (size_t i = 0; i < w->ntokens; i++)
			if (ct_equal(w->tokens[i].hex, tok,
			    2 * WEB_TOKEN_BYTES))
				found = i;
	if (found == (size_t)-1) {
		req_error(r, ERR_PERMISSION, "this login link is not valid: "
		    "used already, expired or mistyped (run 'qlaunch "
		    "web-login' again)");
		return;
	}
	uid_t uid = w->tokens[found].uid;
	w->tokens[found] = w->tokens[--w->ntokens];
	explicit_bzero(&w->tokens[w->ntokens], sizeof(w->tokens[0]));

	struct json_object *ret = json_object_new_object();
	json_object_object_add(ret, "uid", json_object_new_int64(uid));
	struct passwd *pw = getpwuid(uid);
	if (pw != NULL)
		json_object_object_add(ret, "user",
		    json_object_new_string(pw->pw_name));
	json_object_object_add(ret, "admin",
	    json_object_new_boolean(uid_is_admin(r->d, uid)));
	log_info("a web login for uid %lu", (unsigned long)uid);
	req_return(r, ret);
}

const struct dcmd dcmds_web[] = {
	{ "web-hello",	d_web_hello,	0 },
	{ "web-login",	d_web_login,	0 },
	{ "web-redeem",	d_web_redeem,	0 },
	{ NULL, NULL, 0 }
};
