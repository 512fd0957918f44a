/* qlaunch: the display (screenshot, send-key). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "cli.h"
#include "jget.h"
#include "keys.h"
#include "util.h"

/* virsh's limit of keys in one send-key */
#define SEND_KEY_MAX	16

static const struct {
	const char	*format;	/* the supervisor's "format" */
	const char	*ext;
	const char	*mime;
} image_types[] = {
	{ "png", ".png", "image/png" },
	{ "ppm", ".ppm", "image/x-portable-pixmap" },
};

/* Write len bytes to path, replacing what is there, as virsh does. */
static int
write_image(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd == -1)
		return -1;
	if (write_all(fd, data, len) == -1) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int
c_screenshot(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL, *screen = NULL;
	struct opt o[] = {
		{ "file", 1, &file, NULL },
		{ "screen", 1, &screen, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));

	if (argc - first == 2 && file == NULL)
		file = argv[first + 1];
	else
		cli_operands(cli, argc, first, 1);
	const char *name = argv[first];
	if (screen != NULL && cli_num("--screen", screen, 0, 255) != 0)
		cli_die("screenshot: only screen 0 is supported");
	struct json_object *ret = cli_call(cli, "screenshot",
	    cli_name_args(name));
	const char *format = jstr(ret, "format"), *data = jstr(ret, "data");
	size_t t, len;
	for (t = 0; t < nitems(image_types); t++)
		if (format != NULL &&
		    strcmp(format, image_types[t].format) == 0)
			break;
	if (t == nitems(image_types) || data == NULL)
		cli_die("screenshot: the reply of qlaunchd has no image");
	void *img = base64_decode(data, &len);
	if (img == NULL)
		cli_die("screenshot: the image from qlaunchd is not base64");
	char def[NAME_MAX_LEN + 64];
	if (file == NULL) {
		/* virsh's default: NAME-YYYY-MM-DD-HH:MM:SS.EXT */
		char stamp[32];
		time_t now = time(NULL);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H:%M:%S",
		    localtime(&now));
		snprintf(def, sizeof(def), "%s-%s%s", name, stamp,
		    image_types[t].ext);
		file = def;
	}
	if (write_image(file, img, len) == -1)
		cli_die("cannot write %s: %s", file, strerror(errno));
	printf("Screenshot saved to %s, with type of %s\n", file,
	    image_types[t].mime);
	free(img);
	json_object_put(ret);
	return 0;
}

static int
c_send_key(struct cli *cli, int argc, char **argv)
{
	const char *codeset = "linux", *holdtime = NULL;
	struct opt o[] = {
		{ "codeset", 1, &codeset, NULL },
		{ "holdtime", 1, &holdtime, NULL },
	};
	int first = cli_opts(cli, &argc, argv, o, nitems(o));
	enum keyset ks;
	long long hold = 0;

	if (argc - first < 2)
		cli_usage_exit(cli);
	if (keys_codeset(codeset, &ks) == -1)
		cli_die("send-key: unknown codeset '%s' (the codesets are %s)",
		    codeset, keys_codesets);
	if (holdtime != NULL)
		hold = cli_num("--holdtime", holdtime, 0, 60000);
	if (argc - first - 1 > SEND_KEY_MAX)
		cli_die("send-key: %d keys; at most %d at once",
		    argc - first - 1, SEND_KEY_MAX);
	struct json_object *keys = json_object_new_array();
	for (int i = first + 1; i < argc; i++) {
		struct json_object *k = keys_value(ks, argv[i]);
		if (k == NULL)
			cli_die("send-key: unknown key '%s' in codeset %s",
			    argv[i], codeset);
		json_object_array_add(keys, k);
	}
	struct json_object *a = cli_name_args(argv[first]);
	json_object_object_add(a, "keys", keys);
	/* 0, as virsh's 0: QEMU's default */
	if (hold > 0)
		json_object_object_add(a, "hold_time",
		    json_object_new_int64(hold));
	json_object_put(cli_call(cli, "send-key", a));
	printf("VM %s: %d key%s sent\n", argv[first], argc - first - 1,
	    argc - first - 1 == 1 ? "" : "s");
	return 0;
}

const struct cmd cmds_display[] = {
	{ "screenshot", NULL, c_screenshot, "NAME [FILE] [--screen 0]" },
	{ "send-key", NULL, c_send_key, "NAME [--codeset linux|xt|qnum|qcode] "
	    "[--holdtime MS] KEYCODE..." },
	{ NULL, NULL, NULL, NULL }
};
