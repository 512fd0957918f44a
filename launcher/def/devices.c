/*
 * The device kinds of a definition, in the order of the canonical form
 * and of QEMU's command line: a new kind is its file and one row here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "util.h"

extern const struct devkind devkind_serial;	/* dev-serial.c */
extern const struct devkind devkind_display;	/* dev-display.c */
extern const struct devkind devkind_video;	/* dev-video.c */
extern const struct devkind devkind_input;	/* dev-input.c */
extern const struct devkind devkind_disk;	/* dev-disk.c */
extern const struct devkind devkind_nic;	/* dev-nic.c */
extern const struct devkind devkind_balloon;	/* dev-balloon.c */
extern const struct devkind devkind_channel;	/* dev-channel.c */
extern const struct devkind devkind_agent;	/* dev-agent.c */
extern const struct devkind devkind_memback;	/* memback.c */
extern const struct devkind devkind_numa;	/* dev-numa.c */
extern const struct devkind devkind_dimm;	/* dev-dimm.c */
extern const struct devkind devkind_virtiomem;	/* dev-virtiomem.c */

/*
 * The serial console comes before the display so that its -chardev pair
 * precedes -display; video and input follow the display, whose facts
 * give their defaults; the disks follow, in the order of their lines,
 * each after the controller it needs, then the NICs; the balloon's PCI
 * slot comes after all of theirs (a definition without disks or NICs
 * keeps the slots it had); the heartbeat channel last (its controller's
 * slot is a fixed one); then guest memory beyond memory: its backing,
 * NUMA nodes and DIMMs (no PCI slots), and virtio-mem.
 */
const struct devkind *const devkinds[] = {
	&devkind_serial,
	&devkind_display,
	&devkind_video,
	&devkind_input,
	&devkind_disk,
	&devkind_nic,
	&devkind_balloon,
	&devkind_channel,
	&devkind_agent,		/* on the channel's controller */
	&devkind_memback,
	&devkind_numa,
	&devkind_dimm,
	&devkind_virtiomem,
};
const size_t ndevkinds = sizeof(devkinds) / sizeof(devkinds[0]);

const struct devkind *
devkind_find(const char *key)
{
	for (size_t i = 0; i < ndevkinds; i++)
		if (strcmp(devkinds[i]->key, key) == 0)
			return devkinds[i];
	return NULL;
}

int
dev_walk(const struct vmdef *d, struct devfacts *facts, dev_fn fn, void *arg)
{
	struct devfacts f = { 0 };
	const void **confs = xcalloc(d->ndevs + 1, sizeof(*confs));
	size_t *lines = xcalloc(d->ndevs + 1, sizeof(*lines));
	int r = 0;

	for (size_t i = 0; i < ndevkinds && r == 0; i++) {
		const struct devkind *k = devkinds[i];
		struct devset s = { .kind = k, .confs = confs, .lines = lines };

		for (size_t j = 0; j < d->ndevs; j++)
			if (d->devs[j].kind == k) {
				lines[s.n] = j;
				confs[s.n++] = d->devs[j].conf;
			}
		if (s.n == 0 && k->dflt != NULL &&
		    (confs[0] = k->dflt(d, &f)) != NULL) {
			lines[0] = (size_t)-1;
			s.n = 1;
			s.dflt = 1;
		}
		if (s.n == 0)
			continue;
		for (size_t j = 0; k->facts != NULL && j < s.n; j++)
			k->facts(confs[j], &f);
		if (fn != NULL)
			r = fn(d, &s, arg);
	}
	free(confs);
	free(lines);
	if (facts != NULL)
		*facts = f;
	return r;
}

/* A device line's value as printed: its module's, and its pinned slot. */
char *
vmdef_dev_value(const struct vmdef *d, const struct devkind *k,
    const void *conf, size_t line)
{
	char *v = k->print(conf), *n;

	if (line == (size_t)-1 || d->devs[line].addr == 0)
		return v;
	n = xasprintf("%s,addr=%u", v, d->devs[line].addr);
	free(v);
	return n;
}
