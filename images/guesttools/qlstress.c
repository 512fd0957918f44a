/*
 * qlstress: the test guest's workload and heartbeat for migration
 * experiments.  A static program with no dependency beyond libc, built
 * by mkguest.sh and installed as /bin/qlstress.
 *
 *   qlstress [-s MIB] [-r MIBPS] [-i MS] [-d S]
 *	Allocates MIB MiB (default 64), fills it, then dirties it page by
 *	page (one byte of every 4 KiB page, so each page is dirty again for
 *	a migration) in a loop, at MIBPS MiB/s (0, the default: as fast as
 *	it can), for S seconds (0, the default: until killed).  Every MS ms
 *	(default 1000) it prints one line on stdout:
 *	    QLSTRESS t=<ms> iter=<passes> mib=<MiB dirtied> rate=<MiB/s>
 *	t counts from the start, iter the complete passes over the memory,
 *	mib everything dirtied so far and rate the speed since the line
 *	before.  A line "QLSTRESS start size=.. rate=.. interval=.." comes
 *	first and "QLSTRESS end t=.. iter=.. mib=.. rate=.." (the mean) last.
 *
 *   qlstress heartbeat [-p PATH | -n NAME] [-i MS] [-d S] [-w S]
 *	Writes a tick every MS ms (default 1) to a virtio-serial port: PATH,
 *	or the port named NAME (default org.qlaunch.heartbeat.0), found in
 *	/sys/class/virtio-ports, waiting up to -w S seconds (default 0) for
 *	it to appear.  A tick is one line:
 *	    QLHB <seq> <ns>
 *	seq counting from 1, ns the guest's CLOCK_MONOTONIC in nanoseconds.
 *	A tick that is late is not made up for: the next one follows one
 *	period after it.  A write blocks while nobody reads the host side.
 *
 * Errors: one line on stderr and exit status 1 (2 for bad usage).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096
#define MIB		(1024 * 1024)
#define PORTS		"/sys/class/virtio-ports"
#define DEFAULT_PORT	"org.qlaunch.heartbeat.0"

static const char *prog = "qlstress";

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-s MIB] [-r MIBPS] [-i MS] [-d S]\n"
	    "       %s heartbeat [-p PATH | -n NAME] [-i MS] [-d S] [-w S]\n",
	    prog, prog);
	exit(2);
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, why);
	exit(1);
}

/* A number in [lo, hi], or exit with one line. */
static unsigned long long
number(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		goto bad;
	return v;
bad:
	fprintf(stderr, "%s: %s: '%s' is not a number from %llu to %llu\n",
	    prog, opt, s, lo, hi);
	exit(2);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_until(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u),
	    (long)(ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

/* ---- the workload */

static double
mibps(uint64_t mib, uint64_t ns)
{
	return ns == 0 ? 0.0 : (double)mib * 1e9 / (double)ns;
}

/* What the workload did so far, and its next progress line. */
struct progress {
	uint64_t	start;		/* ns */
	uint64_t	interval;	/* ns */
	uint64_t	next;		/* the next line's time */
	uint64_t	last_t, last_mib;	/* the line before */
	uint64_t	mib, iter;
};

static void
report(struct progress *p, uint64_t t)
{
	printf("QLSTRESS t=%llu iter=%llu mib=%llu rate=%.1f\n",
	    (unsigned long long)((t - p->start) / 1000000),
	    (unsigned long long)p->iter, (unsigned long long)p->mib,
	    mibps(p->mib - p->last_mib, t - p->last_t));
	p->last_t = t;
	p->last_mib = p->mib;
	while (p->next <= t)
		p->next += p->interval;
}

static int
stress(int argc, char **argv)
{
	unsigned long long size = 64, rate = 0, interval = 1000, duration = 0;
	struct progress p = { 0 };
	uint64_t pace_t, pace_mib = 0;	/* the rate counts from here */
	uint64_t end;
	unsigned char *mem;
	int c;

	while ((c = getopt(argc, argv, "s:r:i:d:")) != -1)
		switch (c) {
		case 's': size = number("-s", optarg, 1, 1u << 20); break;
		case 'r': rate = number("-r", optarg, 0, 1u << 20); break;
		case 'i': interval = number("-i", optarg, 1, 3600000); break;
		case 'd': duration = number("-d", optarg, 0, 31536000); break;
		default: usage();
		}
	if (optind != argc)
		usage();
	mem = mmap(NULL, size * MIB, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		char what[64];
		snprintf(what, sizeof(what), "%llu MiB", size);
		die(what, strerror(errno));
	}
	/* every page non-zero, so that none migrates as a zero page */
	for (size_t i = 0; i < size * MIB; i += 64)
		mem[i] = (unsigned char)(i / 64 + 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("QLSTRESS start size=%llu rate=%llu interval=%llu\n", size,
	    rate, interval);
	p.start = p.last_t = now_ns();
	pace_t = p.start;
	p.interval = interval * 1000000u;
	p.next = p.start + p.interval;
	end = duration != 0 ? p.start + duration * 1000000000u : 0;
	for (;;) {
		for (size_t chunk = 0; chunk < size; chunk++) {
			unsigned char *m = mem + chunk * MIB;
			for (size_t off = 0; off < MIB; off += PAGE)
				m[off]++;
			p.mib++;
			uint64_t t = now_ns();
			/*
			 * Ahead of the rate: wait, reporting on time.  Behind
			 * it (the guest did not run): go on from now, never in
			 * a burst above the rate to catch up.
			 */
			uint64_t due = rate == 0 ? 0 :
			    pace_t + (p.mib - pace_mib) * 1000000000u / rate;
			if (rate != 0 && due < t) {
				pace_t = t;
				pace_mib = p.mib;
			}
			while (due > t) {
				sleep_until(due < p.next ? due : p.next);
				t = now_ns();
				if (t >= p.next)
					report(&p, t);
			}
			if (t >= p.next)
				report(&p, t);
			if (end != 0 && t >= end) {
				printf("QLSTRESS end t=%llu iter=%llu mib=%llu "
				    "rate=%.1f\n",
				    (unsigned long long)((t - p.start) / 1000000),
				    (unsigned long long)p.iter,
				    (unsigned long long)p.mib,
				    mibps(p.mib, t - p.start));
				return 0;
			}
		}
		p.iter++;
	}
}

/* ---- the heartbeat */

/* The device of the virtio-serial port called name, into buf. */
static int
find_port(const char *name, char *buf, size_t len)
{
	DIR *dir = opendir(PORTS);
	struct dirent *e;
	int found = 0;

	if (dir == NULL)
		return -1;	/* no virtio_console yet */
	while (!found && (e = readdir(dir)) != NULL) {
		char path[PATH_MAX], got[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PORTS "/%s/name", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(got, sizeof(got), f) != NULL) {
			got[strcspn(got, "\n")] = '\0';
			if (strcmp(got, name) == 0) {
				snprintf(buf, len, "/dev/%s", e->d_name);
				found = 1;
			}
		}
		fclose(f);
	}
	closedir(dir);
	return found ? 0 : -1;
}

static int
heartbeat(int argc, char **argv)
{
	const char *path = NULL, *name = DEFAULT_PORT;
	unsigned long long interval = 1, duration = 0, wait = 0;
	char dev[PATH_MAX], line[64];
	uint64_t seq = 0, next, end;
	int c, fd;

	optind = 1;
	while ((c = getopt(argc, argv, "p:n:i:d:w:")) != -1)
		switch (c) {
		case 'p': path = optarg; break;
		case 'n': name = optarg; break;
		case 'i': interval = number("-i", optarg, 1, 3600000); break;
		case 'd': duration = number("-d", optarg, 0, 31536000); break;
		case 'w': wait = number("-w", optarg, 0, 3600); break;
		default: usage();
		}
	if (optind != argc)
		usage();
	if (path == NULL) {
		/* the kernel adds ports as the host announces them */
		uint64_t give_up = now_ns() + wait * 1000000000u;
		while (find_port(name, dev, sizeof(dev)) == -1) {
			if (now_ns() >= give_up)
				die(name, "no virtio-serial port of that name");
			sleep_until(now_ns() + 100000000u);
		}
		path = dev;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		die(path, strerror(errno));
	next = now_ns();
	end = duration != 0 ? next + duration * 1000000000u : 0;
	for (;;) {
		uint64_t t = now_ns();
		int n = snprintf(line, sizeof(line), "QLHB %llu %llu\n",
		    (unsigned long long)++seq, (unsigned long long)t);
		/* the whole line, so that every tick is one */
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = write(fd, line + off, (size_t)(n - off))) == -1) {
				if (errno != EINTR)
					die(path, strerror(errno));
				w = 0;
			}
		if (end != 0 && t >= end)
			return 0;
		/* late: the next tick one period from now, none made up */
		next += interval * 1000000u;
		t = now_ns();
		if (next < t)
			next = t + interval * 1000000u;
		sleep_until(next);
	}
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "heartbeat") == 0)
		return heartbeat(argc - 1, argv + 1);
	return stress(argc, argv);
}
